// vmforge: dispatch to the subcommand named by argv[1].
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.hpp"

namespace {

using vmforge::cli::Command;

constexpr Command kCommands[] = {
    {"version", [](int, char**) { fmt::print("vmforge 0.1.0\n"); return 0; }, "Print the version"},
    {"check", vmforge::cli::cmd_check, "Validate a manifest and print every problem"},
    {"compile", vmforge::cli::cmd_compile, "Print the QEMU command line and hotplug plan of a manifest"},
    {"plan", vmforge::cli::cmd_plan, "Show what applying a manifest would change"},
    {"apply", vmforge::cli::cmd_apply, "Make the running VM match a manifest, live where possible"},
    {"run", vmforge::cli::cmd_run, "Run a VM under this supervisor until it stops"},
    {"status", vmforge::cli::cmd_status, "Show the state of a running VM"},
    {"events", vmforge::cli::cmd_events, "Follow a running VM's QMP events and state changes"},
    {"qmp", vmforge::cli::cmd_qmp, "Send one QMP command to a running VM"},
    {"stop", vmforge::cli::cmd_stop, "Stop a running VM gracefully"},
    {"cloud-init", vmforge::cli::cmd_cloud_init, "Build a cloud-init seed image (NoCloud or ConfigDrive)"},
};

void print_help() {
  fmt::print("vmforge: declarative QEMU virtual machines.\n\nUsage: vmforge COMMAND [ARGS...]\n\nCommands:\n");
  for (const Command& c : kCommands) fmt::print("  {:<12} {}\n", c.name, c.summary);
  fmt::print("\nRun 'vmforge COMMAND --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  fmt::print(stderr, "vmforge: unknown command '{}'.\nTry 'vmforge --help'.\n", argv[1]);
  return 2;
}
