// Shell quoting and line rendering of a plan's command line.
#include "compiler/plan/argv_format.hpp"

#include <fmt/format.h>

namespace vmforge {
namespace {

bool is_shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == ':' || c == ',' || c == '=' || c == '+' || c == '@' || c == '%';
}

// The shell's way to open a file as FileOpen says.
std::string_view redirection(FileOpen open) {
  switch (open) {
    case FileOpen::read: return "<";
    case FileOpen::read_write: return "<>";
    case FileOpen::create: return ">";
    case FileOpen::append: return ">>";
  }
  return "<";
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
    out += fmt::format(" {}{}{}", f.fd, redirection(f.file.open), shell_quote(f.file.path));
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
