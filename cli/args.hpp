// Args: the option parser every subcommand shares (`--flag`, `--opt VALUE`, `--opt=VALUE`,
// positionals, `--` ends options). Errors are usage errors: the caller prints them, exits 2.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"

namespace vmforge::cli {

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value = false;
  char short_name = '\0';  // also accepted as "-X" (e.g. 'o' for "-o FILE"); '\0': none
};

class Args {
 public:
  /// Parses argv[first..argc). Unknown options, a missing value or a value given to a flag
  /// are errors whose message reads like "unknown option '--frob'".
  static Result<Args> parse(int argc, char** argv, int first, const std::vector<OptionSpec>& specs);

  bool has(std::string_view name) const {
    return flags_.count(std::string(name)) > 0 || values_.count(std::string(name)) > 0;
  }
  std::optional<std::string> value(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

/// Prints "vmforge: MESSAGE" and a hint to stderr, returns the usage exit status (2).
int usage_error(std::string_view command, std::string_view message);

}  // namespace vmforge::cli
