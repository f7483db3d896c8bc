// EventLoop: an owned sd_event loop that reports why it stopped.
#pragma once

#include <chrono>
#include <cstdint>

#include "compiler/base/result.hpp"
#include "supervisor/sd/handles.hpp"

namespace vmforge::sd {

class EventLoop {
 public:
  /// A new private loop (tests, BlockingClient).
  static Result<EventLoop> create();
  /// The calling thread's default loop (sd_event_default), for the supervisor's main().
  static Result<EventLoop> thread_default();

  sd_event* get() const { return event_.get(); }

  /// Runs until sd_event_exit(). Returns the exit code, or an Error naming the event source
  /// whose callback failed ("qmp-io: …") when that is what stopped the loop.
  Result<int> run();
  /// Runs at most one iteration, waiting up to `timeout` for an event. Returns false once the
  /// loop has finished (after an exit); a failed callback is returned as its Error.
  Result<bool> run_once(std::chrono::microseconds timeout);
  /// Asks the loop to stop with `code` after the current iteration.
  Result<void> exit(int code);

  /// CLOCK_MONOTONIC in microseconds, as the loop sees it in the current iteration.
  std::uint64_t now_usec() const;

 private:
  explicit EventLoop(EventPtr event) : event_(std::move(event)) {}
  Result<int> take_failure(int code);

  EventPtr event_;
};

/// CLOCK_MONOTONIC of `event`'s current iteration in microseconds.
std::uint64_t loop_now_usec(sd_event* event);
/// CLOCK_MONOTONIC now, in microseconds.
std::uint64_t monotonic_usec();

}  // namespace vmforge::sd
