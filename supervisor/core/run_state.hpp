// What QEMU's run state (query-status "status") means for `status` and for stopping.
#pragma once

#include <string_view>

namespace vmforge::supervisor {

/// The guest cannot go on by itself (internal-error, guest-panicked, io-error, shutdown,
/// watchdog): the VM is up but not healthy.
bool run_state_unhealthy(std::string_view status);

/// The guest can react to the ACPI power button: its vCPUs run (running, or suspended, which
/// the button wakes). Otherwise (paused, prelaunch, an error state) a stop goes to `quit`.
bool run_state_can_power_off(std::string_view status);

}  // namespace vmforge::supervisor
