// EventSource and the add_io/add_time/add_defer factories. Handlers are members returning
// Result<void>, always called through sd_trampoline, e.g.
//   VMFORGE_TRY(io_, sd::add_io<&Client::on_io>(event, fd, EPOLLIN, this, "qmp-io"));
// with `Result<void> Client::on_io(int fd, uint32_t revents)`.
#pragma once

#include <time.h>

#include <cstdint>
#include <string_view>

#include "compiler/base/result.hpp"
#include "supervisor/sd/handles.hpp"
#include "supervisor/sd/trampoline.hpp"

namespace vmforge::sd {

enum class Enabled { off, on, oneshot };

/// An owned event source. Destroying (or reset()) disables it at once: its handler never runs
/// after that, even if it was already pending.
class EventSource {
 public:
  EventSource() = default;
  explicit EventSource(EventSourcePtr source) : source_(std::move(source)) {}

  bool valid() const { return source_ != nullptr; }
  sd_event_source* get() const { return source_.get(); }
  void reset() { source_.reset(); }

  Result<void> set_enabled(Enabled enabled);
  /// For io sources: the epoll events to wait for (EPOLLIN, EPOLLOUT, ...).
  Result<void> set_io_events(std::uint32_t events);
  /// For time sources: the absolute time (microseconds on the source's clock).
  Result<void> set_time(std::uint64_t usec);
  /// For time sources: how late the loop may dispatch it, so that it wakes once for several.
  Result<void> set_accuracy(std::uint64_t usec);

 private:
  EventSourcePtr source_;
};

namespace detail {

using IoCallback = int (*)(sd_event_source*, int, std::uint32_t, void*);
using TimeCallback = int (*)(sd_event_source*, std::uint64_t, void*);
using DeferCallback = int (*)(sd_event_source*, void*);

Result<EventSource> add_io(sd_event* event, int fd, std::uint32_t events, IoCallback callback, void* userdata,
                           std::string_view description);
Result<EventSource> add_time(sd_event* event, clockid_t clock, std::uint64_t usec, std::uint64_t accuracy_usec,
                             TimeCallback callback, void* userdata, std::string_view description);
Result<EventSource> add_defer(sd_event* event, DeferCallback callback, void* userdata, std::string_view description);

}  // namespace detail

/// Watches `fd` (not owned) for `events`; calls `self->*Method(int fd, uint32_t revents)`.
template <auto Method, class Self>
Result<EventSource> add_io(sd_event* event, int fd, std::uint32_t events, Self* self, std::string_view description) {
  return detail::add_io(event, fd, events, &Trampoline<Method>::call, self, description);
}

/// A one-shot timer at absolute `usec` on `clock`; calls `self->*Method(uint64_t usec)`.
/// Re-arm it with set_time() + set_enabled(Enabled::oneshot).
template <auto Method, class Self>
Result<EventSource> add_time(sd_event* event, clockid_t clock, std::uint64_t usec, std::uint64_t accuracy_usec,
                             Self* self, std::string_view description) {
  return detail::add_time(event, clock, usec, accuracy_usec, &Trampoline<Method>::call, self, description);
}

/// Runs `self->*Method()` on every loop iteration while enabled (use Enabled::oneshot for once).
template <auto Method, class Self>
Result<EventSource> add_defer(sd_event* event, Self* self, std::string_view description) {
  return detail::add_defer(event, &Trampoline<Method>::call, self, description);
}

}  // namespace vmforge::sd
