// QmpWatchdog: a timer, a query-status, a ping.
#include "supervisor/core/qmp_watchdog.hpp"

#include <time.h>

#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {

Result<std::unique_ptr<QmpWatchdog>> QmpWatchdog::start(sd_event* event, qmp::Client& client, sd::Notifier& notifier,
                                                        std::chrono::microseconds interval) {
  std::unique_ptr<QmpWatchdog> self(new QmpWatchdog(client, notifier, interval));
  std::uint64_t first = sd::loop_now_usec(event);  // ping at once: start-up may have taken a while
  VMFORGE_TRY(self->timer_,
              sd::add_time<&QmpWatchdog::on_timer>(event, CLOCK_MONOTONIC, first, 0, self.get(), "watchdog-timer"));
  return self;
}

QmpWatchdog::~QmpWatchdog() {
  if (pending_ != 0) (void)client_.cancel(pending_);
}

Result<void> QmpWatchdog::on_timer(std::uint64_t usec) {
  if (pending_ == 0) {
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(period_);
    auto id = client_.execute(qmp::query_status(), timeout, [this](Result<JsonValue> reply) {
      pending_ = 0;
      if (reply) {
        notifier_.watchdog();
      } else {
        sd::log_warning("QEMU did not answer the watchdog's query-status: {}", reply.error().message);
      }
    });
    if (id) pending_ = *id;
  }
  VMFORGE_TRY_VOID(timer_.set_time(usec + static_cast<std::uint64_t>(period_.count())));
  return timer_.set_enabled(sd::Enabled::oneshot);
}

}  // namespace vmforge::supervisor
