// Supervisor: getting QEMU up. Spawn (or adopt), QMP handshake, boot steps, cont, READY; and
// restarting with a new argv.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/core/free_memory.hpp"
#include "supervisor/core/applied_manifest.hpp"
#include "supervisor/core/live_qemu.hpp"
#include "supervisor/core/pidfile.hpp"
#include "supervisor/core/process_progress.hpp"
#include "supervisor/core/qemu_spawn.hpp"
#include "supervisor/core/seed_image.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::chrono::milliseconds kCommandTimeout{10000};
// Until QEMU greets on QMP it may be slow (preallocating RAM) or stuck (waiting for a peer on
// a chardev with wait=on): a QEMU that made no progress over this long is stuck.
constexpr std::chrono::seconds kStartStallLimit{10};
// QEMU closes its QMP socket just before the kernel reports its exit: a lost connection
// waits this long for that exit, which explains it better.
constexpr std::chrono::milliseconds kExitGrace{1000};

std::uint64_t usec(std::chrono::milliseconds t) { return static_cast<std::uint64_t>(t.count()) * 1000u; }

// " Its last output: ..." from QEMU's stderr, or "" when it wrote nothing.
std::string last_output(const launch::Process& process) {
  std::string err = process.stderr_text(2048);
  while (!err.empty() && err.back() == '\n') err.pop_back();
  return err.empty() ? std::string() : fmt::format(" Its last output: {}", err);
}

}  // namespace

Result<void> Supervisor::spawn_qemu() {
  VMFORGE_TRY(UniqueFd qmp_fd, spawn_process());
  return watch_spawned(std::move(qmp_fd));
}

// Up to the running QEMU process and our end of its QMP socket; needs no event loop.
Result<UniqueFd> Supervisor::spawn_process() {
  set_state(VmState::starting);
  UniqueFd seed;
  std::optional<launch::FdMapping> seed_fd;
  if (vm_.cloud_init) {
    VMFORGE_TRY(seed, build_seed(vm_, state_dir_));
    seed_fd = launch::FdMapping{seed.get(), *cloud_init_seed_fd(vm_)};
  }
  VMFORGE_TRY(launch::Process process, spawn_paused_qemu(vm_, plan_, state_dir_, seed_fd));
  return own_process(std::move(process));
}

// Connects to QEMU's QMP socket (the kernel queues us until QEMU accepts), then keeps `process`
// and records its PID for a supervisor that may have to adopt it. A failure drops `process`,
// which kills QEMU.
Result<UniqueFd> Supervisor::own_process(launch::Process process) {
  auto connected = qmp::connect_unix(state_dir_.qmp_socket());
  if (!connected) {
    // Only QEMU holds the listening socket: a refusal means it closed it, i.e. it is exiting
    // (a bad option). How it exited, and what it said, is the cause worth reporting.
    if (auto status = process.wait(StopEscalation::kQuitTimeout); status) {
      return unexpected(Error(
          fmt::format("QEMU (PID {}) {} during start-up.{}", process.pid(), status->describe(), last_output(process))));
    }
    return unexpected(std::move(connected).error());
  }
  UniqueFd qmp_fd = std::move(*connected);
  UniqueFd console_serial;
  // Before `cont`: the guest's first byte already finds the relay connected.
  if (console_listen_fd(vm_)) {
    VMFORGE_TRY(console_serial, qmp::connect_unix(state_dir_.serial_socket()));
  }
  qemu_ = std::make_unique<QemuSession>(/* adopted= */ false);
  qemu_->console_serial = std::move(console_serial);
  qemu_->process.emplace(std::move(process));
  if (auto written = write_pidfile(state_dir_.qemu_pidfile(), qemu_->process->pid()); !written) {
    sd::log_warning("{} A restarted supervisor will not find this QEMU.", written.error().message);
  }
  return qmp_fd;
}

Result<void> Supervisor::watch_spawned(UniqueFd qmp_fd) {
  pid_t pid = qemu_->process->pid();
  UniqueFd watch_fd(fcntl(qemu_->process->pidfd(), F_DUPFD_CLOEXEC, 3));
  if (!watch_fd) return unexpected(errno_error("Failed to duplicate the pidfd"));
  VMFORGE_TRY(qemu_->watch, sd::ProcessWatch::child(event_, pid, std::move(watch_fd),
                                                    [this](const sd::ProcessExit& how) { return on_qemu_exit(how); }));
  set_status(fmt::format("Started QEMU (PID {}); connecting to QMP.", pid));
  follow_qemu_output(0);
  VMFORGE_TRY_VOID(relay_console(std::move(qemu_->console_serial)));
  VMFORGE_TRY_VOID(attach_qmp(std::move(qmp_fd)));
  VMFORGE_TRY_VOID(watch_start_progress());
  if (cont_with_handshake()) resume();
  return {};
}

// Nothing to do between the handshake and `cont`: it goes out right behind qmp_capabilities.
// The ready hook needs QEMU paused only to reconcile an adopted QEMU; for a QEMU we spawned it
// just attaches (plan/apply handlers), which it does once the handshake is done.
bool Supervisor::cont_with_handshake() const {
  return plan_.steps.empty() && !vm_.knobs.stopped && !qemu_->adopted && !incoming_uri_ && !vm_.incoming;
}

// A QEMU we spawned has no greeting deadline: every kStartStallLimit, one that made no
// progress (no CPU used, not running, not in I/O) is taken as stuck and the start fails.
Result<void> Supervisor::watch_start_progress() {
  VMFORGE_TRY(qemu_->start_check, sd::add_time<&Supervisor::on_start_check>(
                                      event_, CLOCK_MONOTONIC, sd::loop_now_usec(event_) + usec(kStartStallLimit),
                                      100000, this, "qemu-start-check"));
  return {};
}

Result<void> Supervisor::on_start_check(std::uint64_t now) {
  if (!qemu_->qmp || qemu_->qmp->state() != qmp::ClientState::awaiting_greeting || state_ == VmState::stopping) {
    qemu_->start_check.reset();
    return {};
  }
  auto progress = read_process_progress(qemu_->watch->pid());
  if (progress && !made_progress(*progress, qemu_->cpu_ticks)) {
    qemu_->start_check.reset();
    start_failed(Error(fmt::format("QEMU (PID {}) has not greeted on its QMP socket and made no progress for {}s: it "
                                   "is waiting for something (a socket chardev with 'wait=on'?).{}",
                                   qemu_->watch->pid(), kStartStallLimit.count(), qemu_output())));
    return {};
  }
  if (progress) qemu_->cpu_ticks = progress->cpu_ticks;
  VMFORGE_TRY_VOID(qemu_->start_check.set_time(now + usec(kStartStallLimit)));
  return qemu_->start_check.set_enabled(sd::Enabled::oneshot);
}

// The QMP connection ended before READY: unless QEMU's exit explains it within kExitGrace,
// the start fails with the connection's reason and QEMU is stopped.
void Supervisor::lost_at_start(const Error& reason) {
  qemu_->lost_reason = reason;
  auto timer = sd::add_time<&Supervisor::on_lost_before_ready>(
      event_, CLOCK_MONOTONIC, sd::loop_now_usec(event_) + usec(kExitGrace), 10000, this, "qmp-lost-at-start");
  if (!timer) return fail_start(reason);
  qemu_->lost_before_ready = std::move(*timer);
}

Result<void> Supervisor::on_lost_before_ready(std::uint64_t) {
  qemu_->lost_before_ready.reset();
  if (!qemu_->lost_reason) return {};
  Error reason = std::move(*qemu_->lost_reason);
  qemu_->lost_reason.reset();
  fail_start(Error(fmt::format("Lost the QMP connection to QEMU (PID {}) before the VM was ready: {}.{}", qemu_pid(),
                               reason.message, qemu_output())));
  return {};
}

// Empty for an adopted QEMU: its stderr went to an earlier supervisor's log.
std::string Supervisor::qemu_output() const { return qemu_->process ? last_output(*qemu_->process) : std::string(); }

Result<void> Supervisor::adopt_qemu(LiveQemu live) {
  qemu_ = std::make_unique<QemuSession>(/* adopted= */ true);
  set_state(VmState::starting);
  VMFORGE_TRY(qemu_->watch,
              sd::ProcessWatch::adopted(event_, live.pid, std::move(live.pidfd),
                                        [this](const sd::ProcessExit& how) { return on_qemu_exit(how); }));
  set_status(fmt::format("Adopting QEMU (PID {}) left running by an earlier supervisor.", live.pid));
  struct stat log {};
  follow_qemu_output(stat(state_dir_.qemu_log().c_str(), &log) == 0 ? log.st_size : 0);
  if (console_listen_fd(vm_)) {
    // What the guest printed while no supervisor was connected is lost (QEMU drops it).
    auto serial = qmp::connect_unix(state_dir_.serial_socket());
    if (!serial) {
      sd::log_warning("The adopted QEMU's console is not relayed: {}", serial.error().message);
    } else {
      VMFORGE_TRY_VOID(relay_console(std::move(*serial)));
    }
  }
  return attach_qmp(std::move(live.qmp));
}

// The console of a QEMU just spawned or adopted; none when its manifest has no console.
Result<void> Supervisor::relay_console(UniqueFd serial) {
  if (!serial) {
    console_.reset();
    return {};
  }
  if (!console_) {
    VMFORGE_TRY(console_, ConsoleRelay::start(event_, state_dir_));
  }
  return console_->attach_qemu(std::move(serial));
}

// QEMU writes its stderr to qemu.log itself; under systemd each new line goes to the journal
// too, under QEMU's name. Not worth failing a start for: without it, qemu.log still has all.
void Supervisor::follow_qemu_output(off_t from) {
  qemu_->output.reset();
  if (!sd::log_to_journal()) return;
  const std::string identifier = std::filesystem::path(plan_.qemu_binary).filename().string();
  auto follower =
      QemuLogFollower::start(event_, state_dir_.qemu_log(), from, [this, identifier](std::string_view line) {
        sd::log_limited(qemu_output_limit_, sd::LogLevel::warning, line, {{"SYSLOG_IDENTIFIER", identifier}});
      });
  if (!follower) {
    sd::log_warning("QEMU's output stays in '{}' only: {}", state_dir_.qemu_log(), follower.error().message);
    return;
  }
  qemu_->output = std::move(*follower);
}

Result<void> Supervisor::attach_qmp(UniqueFd fd) {
  qmp::ClientOptions options;
  // A QEMU we spawned may take long to greet (watch_start_progress); an adopted one is up.
  if (!qemu_->adopted) options.handshake_timeout = qmp::Timeout::zero();
  VMFORGE_TRY(qemu_->qmp, qmp::Client::attach(event_, std::move(fd), options));
  qemu_->qmp->on_ready([this] { qmp_ready(); });
  qemu_->qmp->on_disconnect([this](const Error& reason) { on_qmp_disconnect(reason); });
  qemu_->qmp->subscribe("", {}, [this](const qmp::Event& event) { on_qmp_event(event); });
  return {};
}

void Supervisor::qmp_ready() {
  // QEMU greeted: the stall check is done, and must not wake an idle VM later.
  qemu_->start_check.reset();
  if (state_ == VmState::stopping) return;
  if (qemu_->adopted) {
    sd::log_notice("Adopted QEMU (PID {}) of VM '{}'.", qemu_->watch->pid(), vm_.name);
    run_ready_hook();
    return;
  }
  if (vm_.machine.accel.size() > 1) {
    // QEMU tries the -accel entries in order and says only on stderr that it fell back.
    (void)qemu_->qmp->execute("query-kvm", "", kCommandTimeout, [](Result<JsonValue> reply) {
      if (reply)
        sd::log_info("QEMU runs {}.", reply->get_bool("enabled").value_or(false)
                                          ? "with KVM"
                                          : "without KVM: it took the next accelerator of [machine] accel");
    });
  }
  if (cont_with_handshake()) {
    // `cont` is on its way and RESUME makes the VM ready; the hook only attaches meanwhile.
    if (qmp_ready_hook_) {
      qmp_ready_hook_(*this, [this](Result<void> outcome) {
        if (!outcome) start_failed(outcome.error());
      });
    }
    return;
  }
  if (plan_.steps.empty()) {
    run_ready_hook();
    return;
  }
  run_boot_steps();
}

void Supervisor::run_boot_steps() {
  set_state(VmState::configuring);
  set_status(fmt::format("Applying {} start-up step(s).", plan_.steps.size()));
  StepRunnerOptions options;
  options.undo_on_failure = false;  // QEMU is quit after a failure anyway
  options.on_progress = [this](std::size_t index, const PlanStep& step, StepPhase phase) {
    publish_step(index, step, phase);
  };
  auto runner = StepRunner::start(event_, *qemu_->qmp, plan_.steps, std::move(options), [this](StepReport report) {
    qemu_->boot_runner.reset();
    if (!report.ok()) {
      start_failed(Error(report.describe(plan_.steps.size())));
      return;
    }
    run_ready_hook();
  });
  if (!runner) {
    start_failed(runner.error());
    return;
  }
  qemu_->boot_runner = std::move(*runner);
}

void Supervisor::run_ready_hook() {
  if (!qmp_ready_hook_) {
    resume_and_ready();
    return;
  }
  qmp_ready_hook_(*this, [this](Result<void> outcome) {
    if (!outcome) {
      start_failed(outcome.error());
      return;
    }
    resume_and_ready();
  });
}

void Supervisor::resume_and_ready() {
  if (state_ == VmState::stopping || state_ == VmState::exited) return;
  if ((incoming_uri_ || vm_.incoming) && !qemu_->adopted) {
    receive_migration();
    return;
  }
  if (vm_.knobs.stopped) {
    become_ready();
    return;
  }
  if (!qemu_->adopted) {
    resume();
    return;
  }
  // An adopted QEMU keeps the run state it has, unless its supervisor died before `cont`.
  auto status = qemu_->qmp->execute(qmp::query_status(), kCommandTimeout, [this](Result<JsonValue> reply) {
    if (!reply) {
      start_failed(reply.error());
    } else if (reply->get_string("status") == "prelaunch") {
      resume();
    } else {
      become_ready();
    }
  });
  if (!status) start_failed(status.error());
}

void Supervisor::resume() {
  // QEMU sends RESUME before its reply to `cont`, and under TCG the running vCPU can delay
  // that reply by milliseconds: the VM runs from the event on.
  qemu_->resume_subscription = qemu_->qmp->subscribe("RESUME", {}, [this](const qmp::Event&) { resumed(); });
  auto cont = qemu_->qmp->execute(qmp::cont(), kCommandTimeout, [this](Result<JsonValue> reply) {
    // After RESUME the VM is running: a reply lost to QEMU dying now is told by its exit.
    if (qemu_->resume_subscription == 0) return;
    if (!reply) {
      start_failed(reply.error());
      return;
    }
    resumed();
  });
  if (!cont) start_failed(cont.error());
}

void Supervisor::resumed() {
  qemu_->qmp->unsubscribe(qemu_->resume_subscription);
  qemu_->resume_subscription = 0;
  become_ready();
}

void Supervisor::become_ready() {
  set_state(VmState::running);
  std::string text = fmt::format("VM '{}' is running (QEMU PID {}).", vm_.name, qemu_->watch->pid());
  notifier_.ready(text);
  sd::log_notice("{}", text);
  // After the notification: its fsyncs take longer than the rest of start-up after QEMU's.
  if (!qemu_->adopted) {
    if (auto saved = save_applied_manifest(state_dir_, vm_); !saved) {
      sd::log_warning("Failed to record the applied manifest, ignoring: {}", saved.error().message);
    }
  }
  register_machine();
  publish_event("STATUS", fmt::format(R"({{"state":"running","status":{}}})", json_quote(text)));
  if (auto interval = sd::Notifier::watchdog_interval(); interval.count() > 0) {
    auto watchdog = QmpWatchdog::start(event_, *qemu_->qmp, notifier_, interval);
    if (watchdog) {
      qemu_->watchdog = std::move(*watchdog);
    } else {
      sd::log_warning("Failed to start the watchdog, ignoring: {}", watchdog.error().message);
    }
  }
  if (restart_done_) complete_restart({});
  release_free_memory();  // what compiling, spawning and the boot plan left
}

void Supervisor::start_failed(const Error& error) {
  // Commands fail with a lost connection just before on_qmp_disconnect() runs: that path
  // reports it, with QEMU's exit status if it died.
  if (qemu_->qmp && qemu_->qmp->state() == qmp::ClientState::disconnected) return;
  fail_start(error);
}

void Supervisor::fail_start(const Error& error) {
  // A stop asked for during start-up makes the steps in flight fail: that is no start failure.
  if (start_error_ || state_ == VmState::stopping || state_ == VmState::exited) return;
  start_error_ = error;
  sd::log_error("Failed to start VM '{}': {}", vm_.name, error.message);
  if (restart_done_) complete_restart(unexpected(error));
  request_stop("Start-up failed");
}

void Supervisor::restart(Vm vm, std::function<void(Result<void>)> done) {
  auto plan = lower(vm);
  if (!plan) {
    done(unexpected(Error(fmt::format("Failed to compile the new manifest: {}", plan.error().render(vm.source_text)))));
    return;
  }
  restart_with(std::move(vm), std::move(*plan), std::move(done));
}

void Supervisor::restart_with(Vm vm, Plan plan, std::function<void(Result<void>)> done) {
  plan.manifest_sha256 = vm.source_sha256;
  restart_to_ = std::move(vm);
  restart_plan_ = std::move(plan);
  restart_done_ = std::move(done);
  // Not request_stop(): STOPPING=1 would tell systemd the unit is going down for good.
  set_status("Restarting QEMU with the new command line.");
  begin_stop("Restarting with the new command line");
  set_state(VmState::restarting);
}

// `machinectl list` shows the VM. Only as root (machined would ask polkit otherwise), and
// machined's absence is no error: many hosts have none.
void Supervisor::register_machine() {
  if (geteuid() != 0) return;
  auto machine = sd::MachineRegistration::register_vm(vm_.name, qemu_->watch->pid());
  if (!machine) {
    sd::log_debug("Not registered with systemd-machined: {}", machine.error().message);
    return;
  }
  qemu_->machine.emplace(std::move(*machine));
}

// The old QEMU has exited (on_qemu_exit deferred us out of its process watch's callback).
Result<void> Supervisor::on_respawn() {
  vm_ = std::move(*restart_to_);
  plan_ = std::move(restart_plan_);
  restart_to_.reset();
  qemu_.reset();  // all of the old QEMU goes; spawn_qemu() makes the new one's session
  if (auto spawned = spawn_qemu(); !spawned) {
    start_error_ = spawned.error();
    sd::log_error("Failed to restart VM '{}': {}", vm_.name, spawned.error().message);
    complete_restart(unexpected(std::move(spawned).error()));
    cleanup_files();
    return loop_->exit(kExitFailure);
  }
  return {};  // complete_restart() runs from become_ready() or start_failed()
}

void Supervisor::complete_restart(Result<void> outcome) {
  auto done = std::move(restart_done_);
  restart_done_ = nullptr;
  if (done) done(std::move(outcome));
}

}  // namespace vmforge::supervisor
