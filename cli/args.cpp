// Option parsing shared by the subcommands.
#include "cli/args.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace vmforge::cli {

Result<Args> Args::parse(int argc, char** argv, int first, const std::vector<OptionSpec>& specs) {
  Args args;
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_done || arg.size() < 2 || arg.substr(0, 2) != "--") {
      if (!options_done && arg.size() == 2 && arg[0] == '-') {
        const OptionSpec* spec = nullptr;
        for (const auto& s : specs) {
          if (s.short_name != '\0' && s.short_name == arg[1]) spec = &s;
        }
        if (spec != nullptr && !spec->takes_value) {
          args.flags_.insert(std::string(spec->name));
          continue;
        }
        if (spec != nullptr && i + 1 < argc) {
          args.values_[std::string(spec->name)] = argv[++i];
          continue;
        }
        if (spec != nullptr) return unexpected(Error(fmt::format("option '{}' needs a value", arg)));
      }
      if (!options_done && arg.size() > 1 && arg[0] == '-' && arg != "-") {
        return unexpected(Error(fmt::format("unknown option '{}'", arg)));
      }
      args.positionals_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string_view body = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == body) spec = &s;
    }
    if (spec == nullptr) return unexpected(Error(fmt::format("unknown option '--{}'", body)));
    if (!spec->takes_value) {
      if (inline_value) return unexpected(Error(fmt::format("option '--{}' takes no value", body)));
      args.flags_.insert(std::string(body));
      continue;
    }
    if (inline_value) {
      args.values_[std::string(body)] = std::string(*inline_value);
    } else if (i + 1 < argc) {
      args.values_[std::string(body)] = argv[++i];
    } else {
      return unexpected(Error(fmt::format("option '--{}' needs a value", body)));
    }
  }
  return args;
}

std::optional<std::string> Args::value(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

int usage_error(std::string_view command, std::string_view message) {
  fmt::print(stderr, "vmforge {}: {}\nTry 'vmforge {} --help'.\n", command, message, command);
  return 2;
}

}  // namespace vmforge::cli
