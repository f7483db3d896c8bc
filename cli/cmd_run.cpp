// `vmforge run FILE`: compile the manifest and supervise its VM in the foreground.
#include <signal.h>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"
#include "compiler/plan.hpp"
#include "supervisor/core/plan_apply.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/log.hpp"

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

// sd-event watches QEMU through a pidfd child source, which it refuses unless SIGCHLD is
// blocked before the loop exists; and the loop is made after QEMU is spawned, so a SIGTERM or
// Ctrl-C in between stays pending for the loop instead of killing us and orphaning QEMU.
void block_supervisor_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, signo);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

int cmd_run(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, kRuntimeDirOption});
  if (!args) return usage_error("run", args.error().message);
  if (args->has("help")) {
    fmt::print("{}{}  --help             show this help\n", kHelp, kRuntimeDirHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("run", "expects exactly one manifest FILE");
  auto vm = load_manifest_or_report(args->positionals().front());
  if (!vm) return 1;
  auto plan = lower(*vm);
  if (!plan) {
    fmt::print(stderr, "{}", plan.error().render(vm->source_text));
    return 1;
  }
  plan->manifest_sha256 = vm->source_sha256;
  sd::log_setup(vm->name);
  auto state = supervisor::resolve_state_dir(vm->name, args->value("runtime-dir"));
  if (!state) {
    sd::log_error("{}", state.error().message);
    return 1;
  }
  block_supervisor_signals();
  std::string name = vm->name;
  supervisor::Supervisor supervisor(std::move(*vm), std::move(*plan), std::move(*state));
  supervisor::install_plan_apply(supervisor);
  if (auto started = supervisor.start(); !started) {
    sd::log_error("Failed to start VM '{}': {}", name, started.error().message);
    return 1;
  }
  auto code = supervisor.run();
  if (!code) {
    sd::log_error("Supervisor of VM '{}' failed: {}", name, code.error().message);
    return 1;
  }
  return *code;
}

}  // namespace vmforge::cli
