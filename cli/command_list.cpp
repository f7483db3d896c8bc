#include "cli/command_list.hpp"

#include <fmt/format.h>

namespace vmforge::cli {

std::optional<int> handle_help(int& argc, char** argv) {
  const std::string_view first = argc >= 2 ? argv[1] : "";
  if (first == "--version") return cmd_version(argc, argv);
  if (first == "help" && argc >= 3) {
    static char help_option[] = "--help";
    argv[1] = argv[2];
    argv[2] = help_option;
    argc = 3;
    return std::nullopt;
  }
  if (argc >= 2 && first != "--help" && first != "-h" && first != "help") return std::nullopt;
  fmt::print("vmforge: declarative QEMU virtual machines.\n\nUsage: vmforge COMMAND [ARGS...]\n\nCommands:\n");
  for (const Command& c : kCommandList) fmt::print("  {:<12} {}\n", c.name, c.summary);
  fmt::print("\nRun 'vmforge help COMMAND' or 'vmforge COMMAND --help' for a command's options.\n");
  return argc < 2 ? 2 : 0;
}

int unknown_command(std::string_view name) {
  fmt::print(stderr, "vmforge: unknown command '{}'.\nTry 'vmforge --help'.\n", name);
  return 2;
}

int cmd_version(int, char**) {
  fmt::print("vmforge {}\n", VMFORGE_VERSION);
  return 0;
}

}  // namespace vmforge::cli
