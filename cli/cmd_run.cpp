// `vmforge run FILE`: supervise the VM in the foreground, from the manifest to QEMU's end.
#include <signal.h>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/disk_chains.hpp"
#include "supervisor/core/migration.hpp"
#include "supervisor/core/plan_apply.hpp"
#include "supervisor/core/snapshots.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge run FILE [--incoming URI] [--runtime-dir DIR]\n"
    "\n"
    "Run the VM described by the manifest FILE, supervised by this process until it stops:\n"
    "start QEMU paused, apply the start-up steps over QMP, resume it, tell systemd it is\n"
    "ready (Type=notify), then serve the control socket (vmforge status/events/qmp/stop).\n"
    "SIGTERM, Ctrl-C or 'vmforge stop' presses the ACPI power button, waits for the guest up\n"
    "to [supervisor] shutdown_timeout, then quits QEMU, then kills it; asking again skips\n"
    "ahead. A QEMU of this VM left running by a supervisor that died is adopted, never\n"
    "started twice; a second 'run' while a supervisor lives is refused.\n"
    "\n"
    "With --incoming, QEMU does not boot the VM: this supervisor listens on URI ('tcp:HOST:PORT'\n"
    "or 'unix:/PATH') for 'vmforge migrate NAME --to URI' on the source, takes the source's PCI\n"
    "layout (restarting QEMU with it when devices were plugged or unplugged there live), then\n"
    "QEMU receives the VM on URI; the state is 'inmigrate' until the VM runs here, then systemd\n"
    "is told it is ready. The manifest is the VM's usual one: once migrated, 'plan' against it\n"
    "shows no changes. A failed incoming migration ends 'run' with status 1.\n"
    "\n"
    "Exit status: 0 the guest powered off or the VM was stopped; 1 invalid manifest, failed\n"
    "start-up, or QEMU ended abnormally (crash, killed); 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --incoming URI     receive the VM from a live migration instead of booting it\n";

// Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP: sd-event refuses a pidfd child source unless
// SIGCHLD is blocked before the loop exists, and the loop is made after QEMU is spawned, so a
// SIGTERM or Ctrl-C in between stays pending for the loop instead of killing us and orphaning
// QEMU. Ignores SIGPIPE: a log line to a closed stderr (`vmforge run ... | head`) must fail,
// not kill us and orphan QEMU.
void block_supervisor_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, signo);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// Compiles `vm`, starts it and supervises it until QEMU ends; the exit status.
// The disks write to the snapshot layers the state dir records (README, "Snapshots").
int supervise(Vm vm, const std::optional<std::string>& runtime_dir, const std::optional<std::string>& incoming) {
  sd::log_setup(vm.name);
  auto state = supervisor::resolve_state_dir(vm.name, runtime_dir);
  if (!state) {
    sd::log_error("{}", state.error().message);
    return 1;
  }
  if (auto chains = supervisor::with_disk_chains(*state, vm); !chains) {
    sd::log_error("{}", chains.error().message);
    return 1;
  }
  // The migration target waits with `-incoming defer`; the VM the supervisor keeps (what `plan`
  // compares with and a restart boots) is the manifest's, without it.
  std::optional<Plan> plan;
  if (incoming) {
    Vm target = vm;
    target.incoming = Incoming{};
    plan = lower_or_report(target);
  } else {
    plan = lower_or_report(vm);
  }
  if (!plan) return 1;
  plan->manifest_sha256 = vm.source_sha256;
  block_supervisor_signals();
  const std::string name = vm.name;
  supervisor::Supervisor supervisor(std::move(vm), std::move(*plan), std::move(*state));
  supervisor::install_plan_apply(supervisor);
  if (incoming) supervisor.set_incoming(*incoming);
  if (auto started = supervisor.start(); !started) {
    sd::log_error("Failed to start VM '{}': {}", name, started.error().message);
    return 1;
  }
  supervisor::install_snapshots(supervisor);  // on the control socket start() made
  auto code = supervisor.run();
  if (!code) {
    sd::log_error("Supervisor of VM '{}' failed: {}", name, code.error().message);
    return 1;
  }
  return *code;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  auto parsed =
      parse_with_runtime_dir({"run", kHelp, {{"incoming", true}}, 1, "expects exactly one manifest FILE"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  const auto incoming = args.value("incoming");
  if (incoming && !supervisor::valid_migration_uri(*incoming)) {
    return usage_error("run", fmt::format("'--incoming' takes 'tcp:HOST:PORT' or 'unix:/PATH', not '{}'", *incoming));
  }
  auto vm = load_manifest_or_report(args.positionals().front());
  if (!vm) return 1;
  if (incoming && vm->incoming) {
    fmt::print(stderr, "vmforge run: '{}' has an [incoming] table already; drop it or '--incoming'.\n", vm->source_path);
    return 1;
  }
  return supervise(std::move(*vm), args.value("runtime-dir"), incoming);
}

}  // namespace vmforge::cli
