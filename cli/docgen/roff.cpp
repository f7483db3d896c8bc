#include "cli/docgen/roff.hpp"

namespace vmforge::docgen {

std::string roff(std::string_view text) {
  std::string out;
  if (!text.empty() && (text.front() == '.' || text.front() == '\'')) out = "\\&";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\e"; break;
      case '-': out += "\\-"; break;
      case ',':
      case '/':
      case '|':
        out += c;
        out += "\\:";
        break;
      default: out += c;
    }
  }
  return out;
}

std::string bold(std::string_view text) { return "\\fB" + roff(text) + "\\fR"; }

}  // namespace vmforge::docgen
