// vmforge: the command users run, linked statically so it starts in a third of the time a
// program loading libstdc++, fmt, toml++ and simdjson as shared libraries takes. It serves
// check, compile and the start of run (launch_run.cpp) itself; every other command is
// vmforge-full's (full_program.hpp).
#include <fmt/format.h>

#include "cli/command_list.hpp"
#include "cli/commands.hpp"
#include "cli/full_program.hpp"

namespace {

using vmforge::cli::Command;

constexpr Command kServedHere[] = {
    {"version", vmforge::cli::cmd_version},
    {"check", vmforge::cli::cmd_check},
    {"compile", vmforge::cli::cmd_compile},
    {"run", vmforge::cli::launch_run},
};

}  // namespace

int main(int argc, char** argv) {
  if (auto status = vmforge::cli::handle_help(argc, argv)) return *status;
  std::string_view name = argv[1];
  for (const Command& c : kServedHere) {
    if (c.name == name) return c.run(argc - 1, argv + 1);
  }
  if (!vmforge::cli::is_command(name)) return vmforge::cli::unknown_command(name);
  auto error = vmforge::cli::exec_full_program(argv + 1);
  fmt::print(stderr, "vmforge: {}.\n", error.message);
  return 1;
}
