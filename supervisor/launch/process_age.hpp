// How long a process has been running: QEMU's uptime for `vmforge list`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace vmforge::launch {

/// The time since process `pid` started (its start time in /proc/PID/stat against
/// /proc/uptime), to the clock tick; nullopt when there is no such process.
std::optional<std::chrono::milliseconds> process_age(pid_t pid);

}  // namespace vmforge::launch
