#include "cli/run_common.hpp"

#include <signal.h>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge run FILE [--runtime-dir DIR]\n"
    "\n"
    "Run the VM described by the manifest FILE, supervised by this process until it stops:\n"
    "start QEMU paused, apply the start-up steps over QMP, resume it, tell systemd it is\n"
    "ready (Type=notify), then serve the control socket (vmforge status/events/qmp/stop).\n"
    "SIGTERM, Ctrl-C or 'vmforge stop' presses the ACPI power button, waits for the guest up\n"
    "to [supervisor] shutdown_timeout, then quits QEMU, then kills it; asking again skips\n"
    "ahead. A QEMU of this VM left running by a supervisor that died is adopted, never\n"
    "started twice; a second 'run' while a supervisor lives is refused.\n"
    "\n"
    "Exit status: 0 the guest powered off or the VM was stopped; 1 invalid manifest, failed\n"
    "start-up, or QEMU ended abnormally (crash, killed); 2 usage error.\n"
    "\n"
    "Options:\n";

}  // namespace

std::variant<RunArgs, int> parse_run_args(int argc, char** argv, bool with_handoff) {
  std::vector<OptionSpec> specs{{"help"}, kRuntimeDirOption};
  if (with_handoff) specs.push_back({"handoff", true});
  auto args = Args::parse(argc, argv, 1, specs);
  if (!args) return usage_error("run", args.error().message);
  if (args->has("help")) {
    fmt::print("{}{}  --help             show this help\n", kHelp, kRuntimeDirHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("run", "expects exactly one manifest FILE");
  return RunArgs{args->positionals().front(), args->value("runtime-dir"), args->value("handoff")};
}

void block_supervisor_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, signo);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace vmforge::cli
