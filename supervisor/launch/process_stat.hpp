// What /proc/PID/stat says of a process: how long it has been running (QEMU's uptime for
// `vmforge list`), and the CPU it last ran on.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace vmforge::launch {

/// The time since process `pid` started (its start time in /proc/PID/stat against
/// /proc/uptime), to the clock tick; nullopt when there is no such process.
std::optional<std::chrono::milliseconds> process_age(pid_t pid);

/// The CPU process `pid` last ran on; nullopt when there is no such process.
std::optional<int> last_cpu(pid_t pid);

}  // namespace vmforge::launch
