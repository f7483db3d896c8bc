// vmforge-full: every command, dispatched by argv[1]. Reached through the static `vmforge`
// (cli/main.cpp), which execs it for the commands that need QMP, the control socket or
// cloud-init, and for `run` once QEMU is spawned.
#include "cli/command_list.hpp"
#include "cli/commands.hpp"

namespace {

using vmforge::cli::Command;

constexpr Command kCommands[] = {
    {"version", vmforge::cli::cmd_version},     {"check", vmforge::cli::cmd_check},
    {"compile", vmforge::cli::cmd_compile},     {"plan", vmforge::cli::cmd_plan},
    {"apply", vmforge::cli::cmd_apply},         {"run", vmforge::cli::cmd_run},
    {"status", vmforge::cli::cmd_status},       {"events", vmforge::cli::cmd_events},
    {"qmp", vmforge::cli::cmd_qmp},             {"stop", vmforge::cli::cmd_stop},
    {"cloud-init", vmforge::cli::cmd_cloud_init}, {"list", vmforge::cli::cmd_list},
    {"console", vmforge::cli::cmd_console},
};

}  // namespace

int main(int argc, char** argv) {
  if (auto status = vmforge::cli::handle_help(argc, argv)) return *status;
  for (const Command& c : kCommands) {
    if (c.name == std::string_view(argv[1])) return c.run(argc - 1, argv + 1);
  }
  return vmforge::cli::unknown_command(argv[1]);
}
