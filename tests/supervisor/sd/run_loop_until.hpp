// run_loop_until(): a test turns an sd-event loop by hand until what it waits for happened (an
// exited sd-event loop cannot run again, so tests do not run() it to completion).
#pragma once

#include <chrono>

#include <catch2/catch.hpp>

#include "supervisor/sd/event_loop.hpp"

namespace vmforge::test {

/// Runs `loop` one iteration at a time, each waiting at most `step`, until `done()` holds or
/// `timeout` has passed; the caller then checks what it waited for.
template <class Pred>
void run_loop_until(sd::EventLoop& loop, Pred done, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) REQUIRE(loop.run_once(step));
}

}  // namespace vmforge::test
