// EventLoop and the trampoline's failure record: a failed callback leaves its message here
// for the loop's owner, because a library callback has no business logging.
#include "supervisor/sd/event_loop.hpp"
#include "compiler/base/errno_error.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <time.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "supervisor/sd/trampoline.hpp"

namespace vmforge::sd {
namespace {

struct Failure {
  sd_event* event;
  Error error;
};

// One loop per thread is the norm; a BlockingClient adds a private one, so key by loop.
thread_local std::vector<Failure> failures;

}  // namespace

namespace detail {

int callback_failed(sd_event_source* source, std::string_view message, int errno_value) noexcept {
  int err = errno_value > 0 ? errno_value : EPROTO;
  sd_event* event = libsystemd().sd_event_source_get_event(source);
  const char* description = nullptr;
  if (libsystemd().sd_event_source_get_description(source, &description) < 0 || description == nullptr) {
    description = "event source";
  }
  // Out of memory here ends the process (noexcept): the one catch site stays the trampoline.
  failures.push_back(Failure{event, Error(fmt::format("{}: {}", description, message), err)});
  libsystemd().sd_event_exit(event, -err);
  return -err;
}

}  // namespace detail

Result<EventLoop> EventLoop::create() {
  VMFORGE_TRY_VOID(load_libsystemd());
  sd_event* event = nullptr;
  if (int r = libsystemd().sd_event_new(&event); r < 0)
    return unexpected(errno_error("Failed to create event loop", -r));
  return EventLoop(EventPtr(event));
}

Result<EventLoop> EventLoop::thread_default() {
  VMFORGE_TRY_VOID(load_libsystemd());
  sd_event* event = nullptr;
  if (int r = libsystemd().sd_event_default(&event); r < 0) {
    return unexpected(errno_error("Failed to get the default event loop", -r));
  }
  return EventLoop(EventPtr(event));
}

Result<int> EventLoop::take_failure(int code) {
  for (auto it = failures.begin(); it != failures.end(); ++it) {
    if (it->event == event_.get()) {
      Error error = std::move(it->error);
      failures.erase(it);
      return unexpected(std::move(error));
    }
  }
  return code;
}

Result<int> EventLoop::run() {
  int r = libsystemd().sd_event_loop(event_.get());
  if (r < 0) {
    VMFORGE_TRY_VOID(take_failure(r));
    return unexpected(errno_error("Event loop failed", -r));
  }
  return r;
}

Result<bool> EventLoop::run_once(std::chrono::microseconds timeout) {
  if (libsystemd().sd_event_get_state(event_.get()) == SD_EVENT_FINISHED) {
    VMFORGE_TRY_VOID(take_failure(0));
    return false;
  }
  int r = libsystemd().sd_event_run(event_.get(), static_cast<std::uint64_t>(timeout.count()));
  if (r < 0) return unexpected(errno_error("Event loop iteration failed", -r));
  VMFORGE_TRY_VOID(take_failure(0));
  return libsystemd().sd_event_get_state(event_.get()) != SD_EVENT_FINISHED;
}

Result<void> EventLoop::exit(int code) {
  if (int r = libsystemd().sd_event_exit(event_.get(), code); r < 0) {
    return unexpected(errno_error("Failed to stop event loop", -r));
  }
  return {};
}

std::uint64_t EventLoop::now_usec() const { return loop_now_usec(event_.get()); }

std::uint64_t loop_now_usec(sd_event* event) {
  std::uint64_t usec = 0;
  // Before the first iteration libsystemd().sd_event_now() has no timestamp yet: read the clock.
  if (libsystemd().sd_event_now(event, CLOCK_MONOTONIC, &usec) < 0) usec = monotonic_usec();
  return usec;
}

std::uint64_t monotonic_usec() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace vmforge::sd
