// `vmforge run FILE` in vmforge-full: supervise the VM in the foreground. Usually entered from
// the static launcher with --handoff once QEMU is spawned; run directly (the launcher's fallback
// for what it leaves to us: a live QEMU to adopt, a cloud-init seed, any error), it does the
// whole start-up itself.
#include <signal.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/run_common.hpp"
#include "cli/manifest_report.hpp"
#include "compiler/base/read_file.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/core/handoff.hpp"
#include "supervisor/core/plan_apply.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/launch/cpu_affinity.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::cli {
namespace {

// The manifest as the launcher compiled it: the exact text QEMU's argv came from.
std::optional<Vm> handed_off_manifest(const supervisor::Handoff& handoff, const std::string& path) {
  auto text = read_fd(handoff.manifest.get(), "the manifest handed over by the launcher", kMaxManifestBytes);
  if (!text) {
    sd::log_error("{}", text.error().message);
    return std::nullopt;
  }
  return validate_or_report(*text, path);
}

struct Prepared {
  Vm vm;
  Plan plan;
  supervisor::StateDir state;
};

// Compiles `vm` and finds its state dir; says why not.
std::optional<Prepared> prepare(Vm vm, const std::optional<std::string>& runtime_dir) {
  auto plan = lower_or_report(vm);
  if (!plan) return std::nullopt;
  plan->manifest_sha256 = vm.source_sha256;
  sd::log_setup(vm.name);
  auto state = supervisor::resolve_state_dir(vm.name, runtime_dir);
  if (!state) {
    sd::log_error("{}", state.error().message);
    return std::nullopt;
  }
  return Prepared{std::move(vm), std::move(*plan), std::move(*state)};
}

int supervise(Prepared prepared, std::optional<supervisor::Handoff> handoff) {
  block_supervisor_signals();
  std::string name = prepared.vm.name;
  supervisor::Supervisor supervisor(std::move(prepared.vm), std::move(prepared.plan), std::move(prepared.state));
  supervisor::install_plan_apply(supervisor);
  auto started = handoff ? supervisor.take_over(handoff->qemu_pid, std::move(handoff->lock)) : supervisor.start();
  if (!started) {
    sd::log_error("Failed to start VM '{}': {}", name, started.error().message);
    return 1;
  }
  if (handoff && !handoff->cpus.empty()) {
    if (auto restored = launch::set_cpu_list(handoff->cpus); !restored) {
      sd::log_warning("{}; staying on the CPUs the launcher left us.", restored.error().message);
    }
  }
  auto code = supervisor.run();
  if (!code) {
    sd::log_error("Supervisor of VM '{}' failed: {}", name, code.error().message);
    return 1;
  }
  return *code;
}

// Before take_over() owns it, the launcher's QEMU is just our child: it must not outlive us.
int kill_handed_off_qemu(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return 1;
}

int run_handed_off(const std::string& path, const std::optional<std::string>& runtime_dir, std::string_view text) {
  auto handoff = supervisor::parse_handoff(text);
  if (!handoff) return usage_error("run", handoff.error().message);
  auto vm = handed_off_manifest(*handoff, path);
  if (!vm) return kill_handed_off_qemu(handoff->qemu_pid);
  auto prepared = prepare(std::move(*vm), runtime_dir);
  if (!prepared) return kill_handed_off_qemu(handoff->qemu_pid);
  return supervise(std::move(*prepared), std::move(*handoff));
}

}  // namespace

int cmd_run(int argc, char** argv) {
  auto parsed = parse_run_args(argc, argv, /* with_handoff= */ true);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const RunArgs& args = std::get<RunArgs>(parsed);
  if (args.handoff) return run_handed_off(args.path, args.runtime_dir, *args.handoff);
  auto vm = load_manifest_or_report(args.path);
  if (!vm) return 1;
  auto prepared = prepare(std::move(*vm), args.runtime_dir);
  if (!prepared) return 1;
  return supervise(std::move(*prepared), std::nullopt);
}

}  // namespace vmforge::cli
