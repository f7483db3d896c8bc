// vmforge: every command, dispatched by argv[1] through the table of command_list.hpp.
// One program, dynamically linked (ARCHITECTURE.md, "One program" says why).
#include "cli/command_list.hpp"

int main(int argc, char** argv) {
  if (auto status = vmforge::cli::handle_help(argc, argv)) return *status;
  for (const vmforge::cli::Command& c : vmforge::cli::kCommandList) {
    if (c.name == argv[1]) return c.run(argc - 1, argv + 1);
  }
  return vmforge::cli::unknown_command(argv[1]);
}
