#include "cli/docgen/help_text.hpp"

namespace vmforge::docgen {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// `text`'s words after `out`'s, one space between (appending, not operator+: GCC 12 at -O3
// takes " " + std::string for an overlapping copy, -Werror=restrict).
void append_words(std::string& out, std::string_view text) {
  out.push_back(' ');
  out.append(text);
}

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(' ') - b + 1));
}

// "  -o, --output ISO       the image" -> spec "-o, --output ISO", description "the image".
HelpOption parse_option(const std::string& line) {
  HelpOption o;
  std::string body = trim(line);
  std::size_t gap = body.find("  ");
  o.spec = body.substr(0, gap);
  if (gap != std::string::npos) o.description = trim(body.substr(gap));
  std::size_t dashes = o.spec.find("--");
  if (dashes != std::string::npos) {
    std::size_t end = o.spec.find_first_of(" =", dashes);
    o.long_name = o.spec.substr(dashes, end - dashes);
    o.takes_value = end != std::string::npos;
  }
  return o;
}

}  // namespace

HelpText parse_help(std::string_view command, std::string_view text) {
  HelpText help;
  std::vector<std::string> lines = split_lines(text);
  std::size_t i = 0;
  if (lines.empty() || !lines[0].starts_with("Usage: ")) {
    help.synopsis = "vmforge " + std::string(command);
    return help;
  }
  help.synopsis = trim(lines[i++].substr(7));
  for (; i < lines.size() && !trim(lines[i]).empty(); ++i) append_words(help.synopsis, trim(lines[i]));
  bool in_options = false;
  HelpBlock block;
  auto end_block = [&] {
    if (!block.lines.empty()) help.blocks.push_back(std::move(block));
    block = HelpBlock();
  };
  for (; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (trim(line).empty()) {
      end_block();
      continue;
    }
    if (line == "Options:") {
      end_block();
      in_options = true;
      continue;
    }
    if (in_options && line.starts_with("  -")) {
      help.options.push_back(parse_option(line));
    } else if (in_options && !help.options.empty() && line.starts_with("    ")) {
      append_words(help.options.back().description, trim(line));
    } else {
      in_options = false;
      if (block.lines.empty()) block.verbatim = line.starts_with(" ");
      block.lines.push_back(block.verbatim ? line : trim(line));
    }
  }
  end_block();
  return help;
}

}  // namespace vmforge::docgen
