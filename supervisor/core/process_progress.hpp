// ProcessProgress: whether a process is getting anywhere, from /proc/PID/stat. The supervisor
// uses it to tell a QEMU that is slow to greet on QMP (preallocating guest RAM: busy on a CPU
// or in the kernel) from one that waits for something that will not come (an idle sleeper).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace vmforge::supervisor {

struct ProcessProgress {
  char state = '?';             // R running, S sleeping, D waiting on I/O, Z zombie, ...
  std::uint64_t cpu_ticks = 0;  // user + system time, in clock ticks
};

/// nullopt when the process is gone or its stat line cannot be read.
std::optional<ProcessProgress> read_process_progress(pid_t pid);

/// Progress since `before_ticks`: it used CPU, or it is running or in uninterruptible I/O now.
bool made_progress(const ProcessProgress& now, std::uint64_t before_ticks);

}  // namespace vmforge::supervisor
