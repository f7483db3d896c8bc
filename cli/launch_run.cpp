// `vmforge run FILE` in the static vmforge: everything that must happen before QEMU exists
// (compile, state dir, lock, spawn), then exec into vmforge-full's `run --handoff`, whose shared
// libraries load while QEMU starts (supervisor/core/handoff.hpp says why).
//
// Anything unusual (a QEMU to adopt, a cloud-init seed to build with libisofs, any failure
// after the manifest compiled) is left to vmforge-full's own `run`, with nothing of ours left
// behind: it does the whole start-up and says what went wrong, in the journal under systemd.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/full_program.hpp"
#include "cli/manifest_report.hpp"
#include "cli/run_common.hpp"
#include "compiler/base/errno_error.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/core/handoff.hpp"
#include "supervisor/core/qemu_spawn.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/core/vm_lock.hpp"
#include "supervisor/launch/cpu_affinity.hpp"

namespace vmforge::cli {
namespace {

// `text` in a sealed memory file, inherited across the exec.
Result<UniqueFd> manifest_memfd(std::string_view text) {
  UniqueFd fd(memfd_create("vmforge-manifest", MFD_ALLOW_SEALING));
  if (!fd) return unexpected(errno_error("Failed to create a memory file for the manifest"));
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    return unexpected(errno_error("Failed to write the manifest to a memory file"));
  }
  return fd;
}

// Spawns QEMU and execs the supervisor. Returns only when it did not, with nothing of its own
// left running or locked: QEMU dies with `qemu`, the lock goes with `lock`.
void spawn_and_hand_off(const Vm& vm, const Plan& plan, const std::string& path,
                        const std::optional<std::string>& runtime_dir) {
  if (vm.cloud_init) return;
  auto state = supervisor::resolve_state_dir(vm.name, runtime_dir);
  if (!state || !supervisor::create_state_dir(*state)) return;
  auto lock = supervisor::VmLock::acquire(state->lock_file(), vm.name);
  if (!lock || access(state->qemu_pidfile().c_str(), F_OK) == 0) return;
  block_supervisor_signals();
  auto qemu = supervisor::spawn_paused_qemu(vm, plan, *state, std::nullopt);
  if (!qemu) return;
  auto manifest = manifest_memfd(vm.source_text);
  if (!manifest || fcntl(lock->fd(), F_SETFD, 0) < 0) return;
  std::string cpus = launch::step_off_cpu_shared_with(qemu->pid());
  std::string handoff = supervisor::format_handoff(qemu->pid(), lock->fd(), manifest->get(), cpus);
  std::string handoff_flag = "--handoff=" + handoff;
  std::string runtime_flag = runtime_dir ? "--runtime-dir=" + *runtime_dir : "";
  std::vector<char*> argv{const_cast<char*>("run"), handoff_flag.data()};
  if (runtime_dir) argv.push_back(runtime_flag.data());
  // After "--", a FILE starting with '-' is still the FILE.
  for (const char* arg : {"--", path.c_str()}) argv.push_back(const_cast<char*>(arg));
  argv.push_back(nullptr);
  (void)exec_full_program(argv.data());
  if (!cpus.empty()) (void)launch::set_cpu_list(cpus);
}

}  // namespace

int launch_run(int argc, char** argv) {
  auto parsed = parse_run_args(argc, argv, /* with_handoff= */ false);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const RunArgs& args = std::get<RunArgs>(parsed);
  auto vm = load_manifest_or_report(args.path);
  if (!vm) return 1;
  auto plan = lower_or_report(*vm);
  if (!plan) return 1;
  spawn_and_hand_off(*vm, *plan, args.path, args.runtime_dir);
  auto error = exec_full_program(argv);
  fmt::print(stderr, "vmforge: {}.\n", error.message);
  return 1;
}

}  // namespace vmforge::cli
