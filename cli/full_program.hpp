// vmforge-full: the dynamically linked program with every command. The static `vmforge`
// serves check, compile and the start of run itself, and execs this for everything else.
#pragma once

#include <string>

#include "compiler/base/error.hpp"

namespace vmforge::cli {

/// vmforge-full next to this program (a build tree), else where it was installed.
std::string full_program_path();

/// Replaces this process with vmforge-full running `command_argv` (argv[0] is the command
/// name, e.g. "run"; null-terminated). Returns only on failure.
Error exec_full_program(char* const* command_argv);

}  // namespace vmforge::cli
