// QmpWatchdog: sends WATCHDOG=1 only while QEMU answers QMP. Every half WatchdogSec= it asks
// `query-status`; the ping goes out when the answer comes, so a hung QEMU (or a hung
// supervisor) lets the service manager's watchdog fire.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "compiler/base/result.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/notify.hpp"

namespace vmforge::supervisor {

class QmpWatchdog {
 public:
  /// Starts pinging at half of `interval` (Notifier::watchdog_interval()); `client` and
  /// `notifier` must outlive the watchdog.
  static Result<std::unique_ptr<QmpWatchdog>> start(sd_event* event, qmp::Client& client, sd::Notifier& notifier,
                                                    std::chrono::microseconds interval);
  ~QmpWatchdog();

 private:
  QmpWatchdog(qmp::Client& client, sd::Notifier& notifier, std::chrono::microseconds interval)
      : client_(client), notifier_(notifier), period_(interval / 2) {}
  Result<void> on_timer(std::uint64_t usec);

  qmp::Client& client_;
  sd::Notifier& notifier_;
  std::chrono::microseconds period_;
  sd::EventSource timer_;
  qmp::CommandId pending_ = 0;
};

}  // namespace vmforge::supervisor
