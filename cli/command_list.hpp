// Every command of vmforge: its name, its one-line summary for `vmforge --help`, and the
// function that runs it. main() dispatches by this table and `--help` prints it.
#pragma once

#include <optional>
#include <string_view>

#include "cli/commands.hpp"

namespace vmforge::cli {

struct Command {
  std::string_view name;
  std::string_view summary;
  CommandFn run;
};

inline constexpr Command kCommandList[] = {
    {"version", "Print the version", cmd_version},
    {"check", "Validate a manifest and print every problem", cmd_check},
    {"compile", "Print the QEMU command line and hotplug plan of a manifest", cmd_compile},
    {"plan", "Show what applying a manifest would change", cmd_plan},
    {"apply", "Make the running VM match a manifest, live where possible", cmd_apply},
    {"run", "Run a VM under this supervisor until it stops", cmd_run},
    {"status", "Show the state of a running VM", cmd_status},
    {"list", "List the VMs of this host and their state", cmd_list},
    {"console", "Attach to a running VM's console (Ctrl-] detaches)", cmd_console},
    {"events", "Follow a running VM's QMP events and state changes", cmd_events},
    {"qmp", "Send one QMP command to a running VM", cmd_qmp},
    {"stop", "Stop a running VM gracefully", cmd_stop},
    {"snapshot", "Take or list external snapshots of a running VM's disks", cmd_snapshot},
    {"backup", "Back up a running VM's disks (full or incremental)", cmd_backup},
    {"migrate", "Live-migrate a running VM to a destination supervisor", cmd_migrate},
    {"cloud-init", "Build a cloud-init seed image (NoCloud or ConfigDrive)", cmd_cloud_init},
};

/// When main's `argv` asks for help (--help, -h) or the version (--version), or names no
/// command: prints it and returns the exit status (0, or 2 for no command). nullopt when it
/// names a command; `help CMD` is rewritten in place to `CMD --help` for the caller to run.
std::optional<int> handle_help(int& argc, char** argv);

/// Says "unknown command" on stderr; the exit status (2).
int unknown_command(std::string_view name);

}  // namespace vmforge::cli
