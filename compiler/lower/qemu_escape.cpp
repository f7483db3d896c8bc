// Escaping user strings for QEMU's key=value option syntax.
#include "compiler/lower/qemu_escape.hpp"

namespace vmforge {

bool has_unescapable_char(std::string_view text) {
  return text.find('\0') != std::string_view::npos || text.find('\n') != std::string_view::npos;
}

Result<std::string> qemu_escape(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return unexpected(Error("contains a NUL character, which QEMU cannot take in an option value"));
  }
  if (text.find('\n') != std::string_view::npos) {
    return unexpected(Error("contains a newline, which QEMU cannot take in an option value"));
  }
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

}  // namespace vmforge
