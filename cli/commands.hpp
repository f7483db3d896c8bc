// The subcommands of `vmforge`. Each lives in cli/cmd_<name>.cpp; command_list.hpp has the
// table main.cpp dispatches by.
// Every command returns the process exit status: 0 success, 1 failed operation or bad manifest,
// 2 usage error (`plan`: 0 no changes, 2 changes, 1 error).
#pragma once

namespace vmforge::cli {

using CommandFn = int (*)(int argc, char** argv);  // argv[0] is the subcommand name

// One declaration per subcommand, defined in cli/cmd_<name>.cpp (`version` in command_list.cpp).
int cmd_version(int argc, char** argv);
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
int cmd_snapshot(int argc, char** argv);
int cmd_backup(int argc, char** argv);
int cmd_migrate(int argc, char** argv);
int cmd_cloud_init(int argc, char** argv);

}  // namespace vmforge::cli
