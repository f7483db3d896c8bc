// HelpText: a command's `--help` output (cli/cmd_*.cpp's kHelp, the one description of a
// command and its options) taken apart for the man page and the completions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vmforge::docgen {

struct HelpOption {
  std::string spec;         // "--runtime-dir DIR", "-o, --output ISO"
  std::string description;  // its lines joined by spaces
  /// The long option's name ("--runtime-dir") and whether it takes a value.
  std::string long_name;
  bool takes_value = false;
};

/// A run of lines between blank lines: prose to fill, or (indented lines) a table kept as is.
struct HelpBlock {
  std::vector<std::string> lines;
  bool verbatim = false;
};

struct HelpText {
  std::string synopsis;  // "vmforge stop NAME [--no-wait] [--runtime-dir DIR]"
  std::vector<HelpBlock> blocks;
  std::vector<HelpOption> options;
};

/// Parses `text` ("Usage: ..." first, "Options:" before the option lines). A text without a
/// usage line (`vmforge version`) becomes the synopsis "vmforge COMMAND" and no blocks.
HelpText parse_help(std::string_view command, std::string_view text);

}  // namespace vmforge::docgen
