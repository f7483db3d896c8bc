// `vmforge stop NAME`: stop a running VM the way SIGTERM does, and wait until it is down.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge stop NAME [--no-wait] [--runtime-dir DIR]\n"
    "\n"
    "Stop the running VM NAME: its supervisor presses the ACPI power button, waits for the\n"
    "guest up to [supervisor] shutdown_timeout, then quits QEMU, then kills it. Waits until\n"
    "the supervisor has exited, showing each step on stderr as it begins. Asking again while\n"
    "it waits skips to the next step.\n"
    "\n"
    "Exit status: 0 stopped (or stopping, with --no-wait); 1 the VM is not running or the\n"
    "request failed; 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --no-wait          return once the stop has begun\n";

}  // namespace

int cmd_stop(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"stop", kHelp, {{"no-wait"}}, 1, "expects exactly one VM NAME"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  const std::string& name = args.positionals().front();
  if (auto stopped = stop_vm(name, args.value("runtime-dir"), !args.has("no-wait")); !stopped) {
    fmt::print(stderr, "vmforge stop: {}\n", stopped.error().message);
    return 1;
  }
  if (args.has("no-wait")) return 0;
  fmt::print("VM '{}' stopped.\n", name);
  return 0;
}

}  // namespace vmforge::cli
