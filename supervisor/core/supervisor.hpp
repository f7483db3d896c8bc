// Supervisor: one VM's life under `vmforge run`. Owns the state dir lock, the control socket,
// and the QemuSession of the QEMU it spawned or adopted (its QMP client, watchdog, stop):
//   compile (caller) -> lock -> adopt a live QEMU, or: listen qmp.sock -> spawn QEMU (-S, the
//   socket as fd 3) -> event loop, signals, control socket -> QMP handshake -> boot plan
//   steps (StepRunner) -> cont (unless the manifest says stopped) -> READY -> serve -> stop
//   escalation -> exit status.
// Everything after the spawn runs on one sd-event loop, made while QEMU starts (making it opens
// libsystemd); the exit status is the loop's exit code.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/core/console_relay.hpp"
#include "supervisor/core/control_server.hpp"
#include "supervisor/core/live_qemu.hpp"
#include "supervisor/core/migration_handshake.hpp"
#include "supervisor/core/qemu_session.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/core/step_runner.hpp"
#include "supervisor/core/vm_lock.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/notify.hpp"

namespace vmforge::supervisor {

class IncomingHandshake;

/// The supervisor's view of the VM, as `status` and the event stream report it.
/// `inmigrate`: a `run --incoming` destination waiting for or receiving the VM; `migrated`: the
/// VM went to another host and this supervisor is ending.
enum class VmState { starting, configuring, inmigrate, running, restarting, migrated, stopping, exited };
std::string_view to_string(VmState state);

class Supervisor {
 public:
  /// Exit status when QEMU or the start-up failed (0 is a clean stop or guest power-off).
  static constexpr int kExitFailure = 1;

  /// `vm` and `plan` come from the compiler; `state` from resolve_state_dir(vm.name, ...).
  /// The caller blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP first: they are watched through the
  /// loop, which exists only once QEMU has been spawned.
  Supervisor(Vm vm, Plan plan, StateDir state);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Takes the lock, adopts or spawns QEMU, makes the event loop, watches signals and opens
  /// the control socket. The rest happens in run(); an Error here means nothing is left running.
  Result<void> start();
  /// Runs the loop until the VM is down; returns the process exit status.
  Result<int> run();

  // --- For control handlers and extensions (plan/apply) -----------------------------------
  VmState state() const { return state_; }
  const Vm& vm() const { return vm_; }
  const Plan& plan() const { return plan_; }
  const StateDir& state_dir() const { return state_dir_; }
  sd_event* event() const { return event_; }
  ControlServer& control() { return *control_; }
  /// The QMP client while connected and negotiated, else nullptr.
  qmp::Client* qmp();
  pid_t qemu_pid() const;
  bool adopted() const { return qemu_ && qemu_->adopted; }
  /// Sends `{"event":name,"source":"supervisor","data":data_json}` to event subscribers.
  void publish_event(std::string_view name, std::string_view data_json);
  /// A STEP event: step `index` of a start-up plan or an apply starts or ends.
  void publish_step(std::size_t index, const PlanStep& step, StepPhase phase);
  /// The manifest an apply or reload made the VM match: what `status` reports and a restart
  /// or stop goes by from now on.
  void set_applied(const Vm& vm) { vm_ = vm; }
  /// STATUS= for the service manager, a log line, and a STATUS event.
  void set_status(std::string_view text);
  /// Logs `text` at `level`, and makes it the unit's STATUS= and a STATUS event (what `vmforge
  /// stop` and `apply` show while they wait).
  void announce(sd::LogLevel level, std::string_view text);
  /// `run --incoming URI`: QEMU (spawned with `-incoming defer`) receives the VM on `uri`
  /// instead of booting it; the VM is ready once the migration has brought it here. Before start().
  void set_incoming(std::string uri) { incoming_uri_ = std::move(uri); }
  /// The latest query-migrate of an outgoing migration, which `status` shows as "migration".
  void set_migration_status(std::string json) { migration_status_ = std::move(json); }
  /// An outgoing migration is under way (from its request until it ended).
  void set_migrating(bool migrating) { migrating_ = migrating; }
  /// Why `what` ("apply", "snapshot") is refused now: an outgoing migration is under way, and a
  /// device changed meanwhile would not be the destination's. Empty when it may run.
  std::string refusal_while_migrating(std::string_view what) const;
  /// An operation that changes QEMU's devices or block graph ("an apply", "a backup") is under
  /// way for as long as the returned token lives: a migration started meanwhile would carry a
  /// half-changed VM, or leave a job's target behind on this host.
  using Operation = std::shared_ptr<const std::string>;
  [[nodiscard]] Operation begin_operation(std::string what);
  /// Why a migration is refused now: such an operation is under way. Empty when it may start.
  std::string refusal_while_busy() const;
  /// The VM runs on the destination now: says so, quits QEMU and ends with status 0.
  void migrated(std::string_view text);
  /// Begins the stop escalation (signals and `vmforge stop` end up here).
  void request_stop(std::string_view why);
  /// Stops QEMU gracefully and starts it again from `vm`'s argv (apply --allow-restart);
  /// `done` runs once the new QEMU is running, or with the reason it is not.
  void restart(Vm vm, std::function<void(Result<void>)> done);
  /// The same with `plan` lowered from `vm` already (a migration target's, with -incoming).
  void restart_with(Vm vm, Plan plan, std::function<void(Result<void>)> done);

  /// Runs once QMP is up, before READY (and at every restart): extensions attach here,
  /// e.g. the plan/apply handlers. When QEMU was adopted, `adopted()` is true and the hook
  /// may reconcile; it calls `done` when finished (with an Error to abort the start).
  using QmpReadyHook = std::function<void(Supervisor& self, std::function<void(Result<void>)> done)>;
  void on_qmp_ready(QmpReadyHook hook) { qmp_ready_hook_ = std::move(hook); }
  /// What SIGHUP (systemctl reload) does; without it SIGHUP is logged and ignored.
  void on_reload(std::function<void(Supervisor& self)> hook) { reload_hook_ = std::move(hook); }

 private:
  // supervisor_qemu.cpp: getting QEMU up.
  Result<void> spawn_qemu();
  Result<UniqueFd> spawn_process();
  Result<UniqueFd> own_process(launch::Process process);
  Result<void> supervise_spawned(UniqueFd qmp_fd);
  Result<void> watch_spawned(UniqueFd qmp_fd);
  Result<void> serve();
  Result<void> adopt_qemu(LiveQemu live);
  Result<void> attach_qmp(UniqueFd fd);
  void qmp_ready();
  void run_ready_hook();
  void run_boot_steps();
  bool cont_with_handshake() const;
  void resume_and_ready();
  void receive_migration();
  void listen_migration();
  void on_hello(MigrationHello hello);
  void accept_source();
  void on_incoming_event(const qmp::Event& event);
  std::string incoming_where() const;
  void resume();
  void resumed();
  void become_ready();
  void register_machine();
  void start_failed(const Error& error);
  void fail_start(const Error& error);
  Result<void> watch_start_progress();
  void follow_qemu_output(off_t from);
  Result<void> relay_console(UniqueFd serial);
  Result<void> on_start_check(std::uint64_t usec);
  void lost_at_start(const Error& reason);
  Result<void> on_lost_before_ready(std::uint64_t usec);
  std::string qemu_output() const;

  // supervisor.cpp: running and ending.
  void begin_stop(std::string_view why);
  Result<void> watch_signals();
  Result<void> on_signal(const signalfd_siginfo* info);
  void on_qmp_event(const qmp::Event& event);
  void on_qmp_disconnect(const Error& reason);
  Result<void> on_qemu_exit(const sd::ProcessExit& how);
  int exit_status(const sd::ProcessExit& how);
  void set_state(VmState state);
  void cleanup_files();
  void add_builtin_handlers();
  Result<void> on_respawn();
  void complete_restart(Result<void> outcome);

  std::optional<sd::EventLoop> loop_;
  sd_event* event_ = nullptr;
  Vm vm_;
  Plan plan_;
  StateDir state_dir_;
  VmState state_ = VmState::starting;
  sd::Notifier notifier_;

  std::optional<VmLock> lock_;
  std::unique_ptr<ControlServer> control_;
  sd::EventSource sigterm_, sigint_, sighup_;

  std::unique_ptr<QemuSession> qemu_;      // the QEMU of now; replaced on a restart
  std::unique_ptr<ConsoleRelay> console_;  // [[serial]] backend 'console': console.sock, console.log
  sd::LogRateLimit qemu_output_limit_{std::chrono::seconds(10), 200};  // qemu.log's lines to the journal

  std::optional<Error> start_error_;  // start-up failed: exit non-zero with this
  std::optional<Vm> restart_to_;      // restart(): spawn again with this once QEMU exits
  Plan restart_plan_;
  sd::EventSource respawn_;
  std::function<void(Result<void>)> restart_done_;

  std::optional<std::string> incoming_uri_;  // set_incoming(), until the VM is here
  std::string migration_status_;
  bool migrating_ = false;
  std::vector<std::weak_ptr<const std::string>> operations_;  // begin_operation()'s tokens
  // `run --incoming`: the handshake with the source's supervisor on the URI, before QEMU
  // listens there (supervisor_incoming.cpp).
  std::unique_ptr<IncomingHandshake> handshake_;

  QmpReadyHook qmp_ready_hook_;
  std::function<void(Supervisor&)> reload_hook_;
};

}  // namespace vmforge::supervisor
