// Tests for what QEMU's run states mean to `status` and `stop`.
#include "supervisor/core/run_state.hpp"

#include <catch2/catch.hpp>

using namespace vmforge::supervisor;

TEST_CASE("run states: healthy or not, and whether the power button can work", "[run-state]") {
  for (const char* up : {"running", "paused", "prelaunch", "inmigrate", "postmigrate", "suspended", "finish-migrate"}) {
    CHECK_FALSE(run_state_unhealthy(up));
  }
  for (const char* down : {"internal-error", "guest-panicked", "io-error", "shutdown", "watchdog"}) {
    CHECK(run_state_unhealthy(down));
    CHECK_FALSE(run_state_can_power_off(down));
  }
  CHECK(run_state_can_power_off("running"));
  CHECK(run_state_can_power_off("suspended"));
  CHECK_FALSE(run_state_can_power_off("paused"));
  CHECK_FALSE(run_state_can_power_off("prelaunch"));
}
