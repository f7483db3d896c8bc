// add_signal: a signal delivered through the event loop (signalfd), never as an asynchronous
// handler, in the style of add_io/add_time (event_source.hpp).
#pragma once

#include <string_view>

#include "compiler/base/result.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/trampoline.hpp"

struct signalfd_siginfo;

namespace vmforge::sd {
namespace detail {

using SignalCallback = int (*)(sd_event_source*, const signalfd_siginfo*, void*);

Result<EventSource> add_signal(sd_event* event, int signo, SignalCallback callback, void* userdata,
                               std::string_view description);

}  // namespace detail

/// Watches `signo` with SD_EVENT_SIGNAL_PROCMASK: the signal is blocked in the process mask
/// while the source lives, and `self->*Method(const signalfd_siginfo*)` runs in the loop. A
/// spawned child inherits the blocked mask, so whoever starts QEMU must reset it.
template <auto Method, class Self>
Result<EventSource> add_signal(sd_event* event, int signo, Self* self, std::string_view description) {
  return detail::add_signal(event, signo, &Trampoline<Method>::call, self, description);
}

}  // namespace vmforge::sd
