// Every command of vmforge with its one-line summary, for `vmforge --help` in both programs
// (the static vmforge and vmforge-full).
#pragma once

#include <optional>
#include <string_view>

namespace vmforge::cli {

struct CommandSummary {
  std::string_view name;
  std::string_view summary;
};

inline constexpr CommandSummary kCommandList[] = {
    {"version", "Print the version"},
    {"check", "Validate a manifest and print every problem"},
    {"compile", "Print the QEMU command line and hotplug plan of a manifest"},
    {"plan", "Show what applying a manifest would change"},
    {"apply", "Make the running VM match a manifest, live where possible"},
    {"run", "Run a VM under this supervisor until it stops"},
    {"status", "Show the state of a running VM"},
    {"list", "List the VMs of this host and their state"},
    {"console", "Attach to a running VM's console (Ctrl-] detaches)"},
    {"events", "Follow a running VM's QMP events and state changes"},
    {"qmp", "Send one QMP command to a running VM"},
    {"stop", "Stop a running VM gracefully"},
    {"cloud-init", "Build a cloud-init seed image (NoCloud or ConfigDrive)"},
};

/// When main's `argv` asks for help (--help, -h) or the version (--version), or names no
/// command: prints it and returns the exit status (0, or 2 for no command). nullopt when it
/// names a command; `help CMD` is rewritten in place to `CMD --help` for the caller to run.
std::optional<int> handle_help(int& argc, char** argv);

bool is_command(std::string_view name);

/// Says "unknown command" on stderr; the exit status (2).
int unknown_command(std::string_view name);

/// `vmforge version`.
int cmd_version(int argc, char** argv);

}  // namespace vmforge::cli
