// The subcommands of `vmforge`. Each lives in cli/cmd_<name>.cpp; main.cpp (static vmforge) and
// full_main.cpp (vmforge-full) hold the tables, command_list.hpp the names and summaries.
// Every command returns the process exit status: 0 success, 1 failed operation or bad manifest,
// 2 usage error (`plan`: 0 no changes, 2 changes, 1 error).
#pragma once

#include <string_view>

namespace vmforge::cli {

using CommandFn = int (*)(int argc, char** argv);  // argv[0] is the subcommand name

struct Command {
  std::string_view name;
  CommandFn run;
};

// One declaration per subcommand, defined in cli/cmd_<name>.cpp.
int cmd_check(int argc, char** argv);
int cmd_compile(int argc, char** argv);
int cmd_plan(int argc, char** argv);
int cmd_apply(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_status(int argc, char** argv);
int cmd_list(int argc, char** argv);
int cmd_console(int argc, char** argv);
int cmd_events(int argc, char** argv);
int cmd_qmp(int argc, char** argv);
int cmd_stop(int argc, char** argv);
int cmd_cloud_init(int argc, char** argv);

/// `run` in the static vmforge: compile, lock, spawn QEMU, exec vmforge-full's `run`.
int launch_run(int argc, char** argv);

}  // namespace vmforge::cli
