// EventSource operations and the sd_event_add_* calls behind add_io/add_time/add_defer.
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace vmforge::sd {
namespace {

Error source_error(std::string_view what, std::string_view description, int r) {
  return Error(fmt::format("Failed to {} '{}': {}", what, description, std::strerror(-r)), -r);
}

std::string_view description_of(sd_event_source* source) {
  const char* description = nullptr;
  if (libsystemd().sd_event_source_get_description(source, &description) < 0 || description == nullptr) {
    return "event source";
  }
  return description;
}

Result<EventSource> adopt(sd_event_source* source, int r, std::string_view description) {
  if (r < 0) return unexpected(source_error("add event source", description, r));
  EventSource owned{EventSourcePtr(source)};
  std::string name(description);
  if (int d = libsystemd().sd_event_source_set_description(source, name.c_str()); d < 0) {
    return unexpected(source_error("describe event source", description, d));
  }
  return owned;
}

}  // namespace

Result<void> EventSource::set_enabled(Enabled enabled) {
  int mode = enabled == Enabled::off ? SD_EVENT_OFF : enabled == Enabled::on ? SD_EVENT_ON : SD_EVENT_ONESHOT;
  if (int r = libsystemd().sd_event_source_set_enabled(source_.get(), mode); r < 0) {
    return unexpected(source_error("enable event source", description_of(source_.get()), r));
  }
  return {};
}

Result<void> EventSource::set_io_events(std::uint32_t events) {
  if (int r = libsystemd().sd_event_source_set_io_events(source_.get(), events); r < 0) {
    return unexpected(source_error("change events of", description_of(source_.get()), r));
  }
  return {};
}

Result<void> EventSource::set_time(std::uint64_t usec) {
  if (int r = libsystemd().sd_event_source_set_time(source_.get(), usec); r < 0) {
    return unexpected(source_error("set time of", description_of(source_.get()), r));
  }
  return {};
}

Result<void> EventSource::set_accuracy(std::uint64_t usec) {
  if (int r = libsystemd().sd_event_source_set_time_accuracy(source_.get(), usec); r < 0) {
    return unexpected(source_error("set accuracy of", description_of(source_.get()), r));
  }
  return {};
}

namespace detail {

Result<EventSource> add_io(sd_event* event, int fd, std::uint32_t events, IoCallback callback, void* userdata,
                           std::string_view description) {
  sd_event_source* source = nullptr;
  int r = libsystemd().sd_event_add_io(event, &source, fd, events, callback, userdata);
  return adopt(source, r, description);
}

Result<EventSource> add_time(sd_event* event, clockid_t clock, std::uint64_t usec, std::uint64_t accuracy_usec,
                             TimeCallback callback, void* userdata, std::string_view description) {
  sd_event_source* source = nullptr;
  int r = libsystemd().sd_event_add_time(event, &source, clock, usec, accuracy_usec, callback, userdata);
  return adopt(source, r, description);
}

Result<EventSource> add_defer(sd_event* event, DeferCallback callback, void* userdata, std::string_view description) {
  sd_event_source* source = nullptr;
  int r = libsystemd().sd_event_add_defer(event, &source, callback, userdata);
  return adopt(source, r, description);
}

}  // namespace detail
}  // namespace vmforge::sd
