// Owners for sd-event's C handles. The deleters are defined in handles.cpp, so including this
// header does not pull in systemd's headers.
#pragma once

#include <memory>

struct sd_event;
struct sd_event_source;

namespace vmforge::sd {

struct EventUnref {
  void operator()(sd_event* event) const noexcept;
};
/// Owns one reference to an sd_event loop.
using EventPtr = std::unique_ptr<sd_event, EventUnref>;

struct EventSourceDisableUnref {
  void operator()(sd_event_source* source) const noexcept;
};
/// Owns an event source; releasing it disables the source first, so a source whose owner is
/// gone can never fire (sd_event_source_disable_unref).
using EventSourcePtr = std::unique_ptr<sd_event_source, EventSourceDisableUnref>;

}  // namespace vmforge::sd
