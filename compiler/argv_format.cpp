// Shell quoting and line rendering of a plan's command line.
#include "compiler/argv_format.hpp"

#include <fmt/format.h>

namespace vmforge {
namespace {

bool is_shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '=' ||
         c == '+' || c == '@' || c == '%';
}

}  // namespace

std::string shell_quote(std::string_view text) {
  bool safe = !text.empty();
  for (char c : text) safe = safe && is_shell_safe(c);
  if (safe) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string render_shell(const Plan& plan) {
  std::string out = shell_quote(plan.qemu_binary);
  for (const auto& arg : plan.argv) {
    out += ' ';
    out += shell_quote(arg);
  }
  // The files `run` opens for QEMU, as redirections onto their fd numbers.
  for (const HostFile& f : plan.files) {
    std::string_view op = f.file.open == FileOpen::read ? "<" : f.file.open == FileOpen::read_write ? "<>" : ">";
    out += fmt::format(" {}{}{}", f.fd, op, shell_quote(f.file.path));
  }
  out += '\n';
  return out;
}

std::string render_lines(const Plan& plan) {
  std::string out = plan.qemu_binary + '\n';
  for (const auto& arg : plan.argv) {
    out += arg;
    out += '\n';
  }
  return out;
}

}  // namespace vmforge
