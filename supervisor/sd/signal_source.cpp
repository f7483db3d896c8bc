// add_signal over sd_event_add_signal.
#include "supervisor/sd/signal_source.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <signal.h>
#include <string.h>

#include <string>

#include <fmt/format.h>

namespace vmforge::sd::detail {

Result<EventSource> add_signal(sd_event* event, int signo, SignalCallback callback, void* userdata,
                               std::string_view description) {
  sd_event_source* source = nullptr;
  int r = libsystemd().sd_event_add_signal(event, &source, signo | SD_EVENT_SIGNAL_PROCMASK, callback, userdata);
  if (r < 0) {
    return unexpected(Error(fmt::format("Failed to watch signal SIG{}: {}", sigabbrev_np(signo), strerror(-r)), -r));
  }
  EventSource owned{EventSourcePtr(source)};
  (void)libsystemd().sd_event_source_set_description(source, std::string(description).c_str());
  return owned;
}

}  // namespace vmforge::sd::detail
