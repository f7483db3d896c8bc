// QEMU 7.2's RunState names (qapi/run-state.json).
#include "supervisor/core/run_state.hpp"

namespace vmforge::supervisor {

bool run_state_unhealthy(std::string_view status) {
  return status == "internal-error" || status == "guest-panicked" || status == "io-error" || status == "shutdown" ||
         status == "watchdog";
}

bool run_state_can_power_off(std::string_view status) { return status == "running" || status == "suspended"; }

}  // namespace vmforge::supervisor
