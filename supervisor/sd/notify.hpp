// Notifier: the supervisor's side of the sd_notify protocol (READY, STATUS=, STOPPING=1,
// WATCHDOG=1, EXTEND_TIMEOUT_USEC=). Without NOTIFY_SOCKET every call is a no-op.
#pragma once

#include <chrono>
#include <string_view>

namespace vmforge::sd {

class Notifier {
 public:
  /// Tells the service manager the VM is up, with a STATUS= line. Sent at most once per
  /// process: later calls only update STATUS=.
  void ready(std::string_view status);
  void status(std::string_view status);
  /// STOPPING=1 with STATUS=; `extend` > 0 also asks for that much more stop time
  /// (EXTEND_TIMEOUT_USEC=), so a long shutdown_timeout is not cut short by TimeoutStopSec=.
  void stopping(std::string_view status, std::chrono::microseconds extend);
  /// One watchdog ping. The caller sends it only after QEMU answered QMP.
  void watchdog();

  bool ready_sent() const { return ready_sent_; }

  /// The interval of WatchdogSec= when the manager watches this process (WATCHDOG_USEC and
  /// WATCHDOG_PID), else zero.
  static std::chrono::microseconds watchdog_interval();

 private:
  bool ready_sent_ = false;
};

}  // namespace vmforge::sd
