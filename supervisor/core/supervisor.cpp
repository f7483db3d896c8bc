// Supervisor: start-up entry, signals, QMP events, QEMU's exit and the exit status.
#include "supervisor/core/supervisor.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "supervisor/core/incoming_handshake.hpp"
#include "supervisor/core/live_qemu.hpp"
#include "supervisor/core/startup_scheduling.hpp"
#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/signal_source.hpp"

namespace vmforge::supervisor {

std::string_view to_string(VmState state) {
  switch (state) {
    case VmState::starting: return "starting";
    case VmState::configuring: return "configuring";
    case VmState::inmigrate: return "inmigrate";
    case VmState::running: return "running";
    case VmState::restarting: return "restarting";
    case VmState::migrated: return "migrated";
    case VmState::stopping: return "stopping";
    case VmState::exited: return "exited";
  }
  return "unknown";
}

Supervisor::Supervisor(Vm vm, Plan plan, StateDir state)
    : vm_(std::move(vm)), plan_(std::move(plan)), state_dir_(std::move(state)) {}

Supervisor::~Supervisor() = default;

Result<void> Supervisor::start() {
  VMFORGE_TRY_VOID(create_state_dir(state_dir_));
  VMFORGE_TRY(VmLock lock, VmLock::acquire(state_dir_.lock_file(), vm_.name));
  lock_.emplace(std::move(lock));
  VMFORGE_TRY(std::optional<LiveQemu> live, find_live_qemu(state_dir_, vm_.name, plan_.qemu_binary));
  if (live) {
    VMFORGE_TRY_VOID(serve());
    return adopt_qemu(std::move(*live));
  }
  // QEMU takes ~20 ms to come up: spawn it first, and open libsystemd, the loop and the control
  // socket while it does, without taking its CPU.
  VMFORGE_TRY(UniqueFd qmp_fd, spawn_process());
  OffQemusCpu away(qemu_->process->pid());
  return supervise_spawned(std::move(qmp_fd));
}

Result<void> Supervisor::supervise_spawned(UniqueFd qmp_fd) {
  auto watched = serve();
  if (watched) watched = watch_spawned(std::move(qmp_fd));
  if (!watched) {
    qemu_.reset();  // kills and reaps QEMU: nothing is left running
    cleanup_files();
  }
  return watched;
}

Result<int> Supervisor::run() { return loop_->run(); }

Result<void> Supervisor::serve() {
  VMFORGE_TRY(sd::EventLoop loop, sd::EventLoop::thread_default());
  loop_.emplace(std::move(loop));
  event_ = loop_->get();
  VMFORGE_TRY_VOID(watch_signals());
  VMFORGE_TRY(UniqueFd control_fd, launch::listen_unix(state_dir_.control_socket()));
  VMFORGE_TRY(control_, ControlServer::start(event_, std::move(control_fd)));
  add_builtin_handlers();
  return {};
}

qmp::Client* Supervisor::qmp() {
  return qemu_ && qemu_->qmp && qemu_->qmp->state() == qmp::ClientState::running ? qemu_->qmp.get() : nullptr;
}

pid_t Supervisor::qemu_pid() const { return qemu_ && qemu_->watch ? qemu_->watch->pid() : 0; }

void Supervisor::publish_event(std::string_view name, std::string_view data_json) {
  if (!control_) return;
  JsonWriter w;
  w.begin_object().field("event", name).field("source", "supervisor").key("data").raw(data_json).end_object();
  control_->publish(w.str());
}

void Supervisor::publish_step(std::size_t index, const PlanStep& step, StepPhase phase) {
  JsonWriter w;
  w.begin_object().field("index", static_cast<std::uint64_t>(index)).field("resource", step.resource);
  w.field("command", step.call.command).field("phase", to_string(phase)).end_object();
  publish_event("STEP", w.str());
}

void Supervisor::set_status(std::string_view text) { announce(sd::LogLevel::info, text); }

void Supervisor::announce(sd::LogLevel level, std::string_view text) {
  sd::log_message(level, text);
  notifier_.status(text);
  JsonWriter w;
  w.begin_object().field("state", to_string(state_)).field("status", text).end_object();
  publish_event("STATUS", w.str());
}

void Supervisor::set_state(VmState state) {
  if (state_ == state) return;
  state_ = state;
  JsonWriter w;
  w.begin_object().field("state", to_string(state_)).end_object();
  publish_event("STATE", w.str());
}

void Supervisor::request_stop(std::string_view why) {
  if (state_ == VmState::exited) return;
  if (restart_to_) {  // a stop wins over a restart still waiting for the old QEMU to go
    restart_to_.reset();
    complete_restart(unexpected(Error("The VM was stopped while it was restarting.", ECANCELED)));
  }
  begin_stop(why);
  if (qemu_ && qemu_->stop) {
    notifier_.stopping("Stopping.", std::chrono::duration_cast<std::chrono::microseconds>(qemu_->stop->worst_case()));
  }
}

void Supervisor::begin_stop(std::string_view why) {
  if (!qemu_ || !qemu_->watch) {
    (void)loop_->exit(start_error_ ? kExitFailure : 0);
    return;
  }
  if (!qemu_->stop) {
    qemu_->stop = std::make_unique<StopEscalation>(
        event_, [this] { return qmp(); }, *qemu_->watch, vm_.supervisor.shutdown_timeout.ms(),
        [this](sd::LogLevel level, std::string_view text) { announce(level, text); });
  }
  // Before the guest runs here (or after it left) there is nobody to press the power button for.
  bool before_guest = state_ == VmState::starting || state_ == VmState::configuring || state_ == VmState::inmigrate ||
                      state_ == VmState::migrated;
  set_state(VmState::stopping);
  auto begun = before_guest ? qemu_->stop->request_quit(why) : qemu_->stop->request(why);
  if (!begun) sd::log_error("Failed to stop QEMU: {}", begun.error().message);
}

Result<void> Supervisor::watch_signals() {
  VMFORGE_TRY(sigterm_, sd::add_signal<&Supervisor::on_signal>(event_, SIGTERM, this, "signal-term"));
  VMFORGE_TRY(sigint_, sd::add_signal<&Supervisor::on_signal>(event_, SIGINT, this, "signal-int"));
  VMFORGE_TRY(sighup_, sd::add_signal<&Supervisor::on_signal>(event_, SIGHUP, this, "signal-hup"));
  return {};
}

Result<void> Supervisor::on_signal(const signalfd_siginfo* info) {
  int signo = static_cast<int>(info->ssi_signo);
  if (signo == SIGHUP) {
    if (reload_hook_) {
      sd::log_notice("Received SIGHUP: reloading the manifest.");
      reload_hook_(*this);
    } else {
      sd::log_notice("Received SIGHUP, but reloading the manifest is not available in this build, ignoring.");
    }
    return {};
  }
  request_stop(fmt::format("Received SIG{}", sigabbrev_np(signo)));
  return {};
}

void Supervisor::on_qmp_event(const qmp::Event& event) {
  if (event.name == "SHUTDOWN") {
    if (auto reason = event.data.get_string("reason")) qemu_->shutdown_reason = std::string(*reason);
  }
  // A guest can make QEMU send events without bound (100k take 100k lines): they are logged
  // within a rate limit, except the two that say how the VM ended.
  static sd::LogRateLimit limit(std::chrono::seconds(10), 200);
  bool fatal = event.name == "GUEST_PANICKED";
  std::string text = fmt::format("QMP event '{}'{}.", event.name,
                                 event.data.is_null() ? std::string() : fmt::format(": {}", event.data.to_json()));
  if (fatal || event.name == "SHUTDOWN") {
    sd::log_message(fatal ? sd::LogLevel::err : sd::LogLevel::info, text, {{"QMP_EVENT", event.name}});
  } else {
    sd::log_limited(limit, sd::LogLevel::info, text, {{"QMP_EVENT", event.name}});
  }
  if (!control_) return;
  JsonWriter w;
  w.begin_object().field("event", event.name).field("source", "qmp").key("data").raw(event.data.to_json());
  w.key("timestamp")
      .begin_object()
      .field("seconds", event.seconds)
      .field("microseconds", event.microseconds)
      .end_object();
  w.end_object();
  control_->publish(w.str());
}

void Supervisor::on_qmp_disconnect(const Error& reason) {
  qemu_->watchdog.reset();
  qemu_->start_check.reset();
  if (state_ == VmState::starting || state_ == VmState::configuring || state_ == VmState::inmigrate) {
    lost_at_start(reason);
    return;
  }
  if (state_ != VmState::running) return;
  sd::log_warning("Lost the QMP connection to QEMU: {}", reason.message);
}

Result<void> Supervisor::on_qemu_exit(const sd::ProcessExit& how) {
  qemu_->exited();
  if (restart_to_ && !start_error_) {
    VMFORGE_TRY(respawn_, sd::add_defer<&Supervisor::on_respawn>(event_, this, "qemu-respawn"));
    return respawn_.set_enabled(sd::Enabled::oneshot);
  }
  int code = exit_status(how);
  set_state(VmState::exited);
  notifier_.status(code == 0 ? "Stopped." : "QEMU ended abnormally.");
  cleanup_files();
  return loop_->exit(code);
}

int Supervisor::exit_status(const sd::ProcessExit& how) {
  std::string qemu = fmt::format("QEMU (PID {})", qemu_->watch->pid());
  if (start_error_) return kExitFailure;  // said when it happened
  if (qemu_->stop && qemu_->stop->active()) {
    if (qemu_->stop->killed()) {
      sd::log_error("{} had to be killed; VM '{}' stopped, but the guest may have lost data.", qemu, vm_.name);
      return kExitFailure;
    }
    sd::log_notice("VM '{}' stopped.", vm_.name);
    return 0;
  }
  bool clean_exit = !how.status_known || (!how.killed && how.status == 0);
  if (qemu_->shutdown_reason == "guest-shutdown" && clean_exit) {
    sd::log_notice("The guest powered off; VM '{}' stopped.", vm_.name);
    return 0;
  }
  const std::string& reason = qemu_->shutdown_reason;
  std::string why = reason.empty() ? "" : fmt::format(" (QEMU reported shutdown reason '{}')", reason);
  std::string output = qemu_output();
  if (state_ == VmState::inmigrate) {
    sd::log_error("The incoming migration of VM '{}' failed: {} {} while receiving it{}.{}", vm_.name, qemu,
                  how.describe(), why, output);
  } else if (state_ == VmState::starting || state_ == VmState::configuring) {
    sd::log_error("Failed to start VM '{}': {} {} during start-up{}.{}", vm_.name, qemu, how.describe(), why, output);
  } else {
    sd::log_error("{} {} unexpectedly{}; VM '{}' is down.{}", qemu, how.describe(), why, vm_.name, output);
  }
  return kExitFailure;
}

void Supervisor::cleanup_files() {
  (void)unlink(state_dir_.qemu_pidfile().c_str());
  (void)unlink(state_dir_.qmp_socket().c_str());
  (void)unlink(state_dir_.control_socket().c_str());
  (void)unlink(state_dir_.serial_socket().c_str());
  (void)unlink(state_dir_.console_socket().c_str());
}

}  // namespace vmforge::supervisor
