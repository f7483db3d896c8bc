// QemuSession: what lives exactly as long as one QEMU process under the supervisor. The
// Supervisor makes one when it spawns or adopts QEMU and replaces it whole on a restart, so
// nothing of the old QEMU (its client, timers, shutdown reason) is carried to the next.
// Members go in reverse order: what uses the client and the process watch goes first.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "compiler/base/error.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/core/qemu_log_follower.hpp"
#include "supervisor/core/qmp_watchdog.hpp"
#include "supervisor/core/step_runner.hpp"
#include "supervisor/core/stop_escalation.hpp"
#include "supervisor/launch/process.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/machined.hpp"
#include "supervisor/sd/process_watch.hpp"

namespace vmforge::supervisor {

struct QemuSession {
  explicit QemuSession(bool adopted) : adopted(adopted) {}

  /// QEMU was left running by an earlier supervisor: not our child, its stderr not ours.
  const bool adopted;
  std::optional<launch::Process> process;  // when we spawned QEMU
  std::unique_ptr<sd::ProcessWatch> watch;
  std::unique_ptr<qmp::Client> qmp;
  std::unique_ptr<StepRunner> boot_runner;
  std::unique_ptr<QmpWatchdog> watchdog;
  std::unique_ptr<StopEscalation> stop;
  std::optional<sd::MachineRegistration> machine;  // while QEMU runs, when machined is there
  qmp::SubscriptionId resume_subscription = 0;
  qmp::SubscriptionId incoming_subscription = 0;  // MIGRATION events while the VM migrates here
  std::unique_ptr<StepRunner> incoming_runner;     // the incoming migration's set-up
  sd::EventSource start_check;              // QEMU's progress until its QMP greeting
  std::unique_ptr<QemuLogFollower> output;  // qemu.log's new lines to the journal
  std::uint64_t cpu_ticks = 0;              // its CPU time at the last start check
  sd::EventSource lost_before_ready;        // QMP ended before READY: fail unless QEMU exits first
  std::optional<Error> lost_reason;
  std::string shutdown_reason;  // from QEMU's SHUTDOWN event
  UniqueFd console_serial;      // connected to serial.sock, until the console relay takes it

  /// QEMU has exited: drops what acts on a running QEMU. The watch, the stop escalation and
  /// the shutdown reason stay: the exit status is told from them.
  void exited() {
    machine.reset();
    watchdog.reset();
    boot_runner.reset();
    incoming_runner.reset();
    start_check.reset();
    lost_before_ready.reset();
    lost_reason.reset();
  }
};

}  // namespace vmforge::supervisor
