// Deleters of the sd-event handle owners.
#include "supervisor/sd/handles.hpp"
#include "supervisor/sd/libsystemd.hpp"

namespace vmforge::sd {

void EventUnref::operator()(sd_event* event) const noexcept { libsystemd().sd_event_unref(event); }

void EventSourceDisableUnref::operator()(sd_event_source* source) const noexcept {
  libsystemd().sd_event_source_disable_unref(source);
}

}  // namespace vmforge::sd
