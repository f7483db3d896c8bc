// Printing a plan's command line for people: one shell command, or one argument per line.
#pragma once

#include <string>
#include <string_view>

#include "compiler/plan/plan.hpp"

namespace vmforge {

/// `text` as one POSIX shell word: unchanged when it holds only characters no shell treats
/// specially, else in single quotes (an embedded ' becomes '\'').
std::string shell_quote(std::string_view text);

/// The QEMU binary and the argv as one copy-pasteable command line, ending in a newline.
/// Pasting it needs fd 3 to be a listening socket, as `run` provides (e.g. via systemd-socket-activate);
/// the files `run` opens for QEMU are redirections (`5<>disk.img`) at the end.
std::string render_shell(const Plan& plan);

/// The QEMU binary and each argument on a line of its own.
std::string render_lines(const Plan& plan);

}  // namespace vmforge
