// Keeping a process off one CPU for a while. The launcher's exec'd supervisor loads its shared
// libraries and compiles for ~2 ms right after spawning QEMU, and often on the CPU QEMU starts
// on (posix_spawn's parent wakes where its child ran): QEMU then comes up ~1.3 ms later. So
// the launcher steps aside before its exec when it shares QEMU's CPU, and the supervisor
// restores its CPUs once it has loaded.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::launch {

/// When process `pid` last ran on the CPU this process runs on, removes that CPU from the ones
/// this process may run on (if others remain). Returns what to restore with set_cpu_list()
/// ("0-3,8"), or "" when nothing changed. Moving onto a CPU `pid` is busy on would make this
/// process wait for it, so it does not move otherwise.
std::string step_off_cpu_shared_with(pid_t pid);

/// Sets the CPUs this process may run on from a list like "0-3,8".
Result<void> set_cpu_list(std::string_view list);

}  // namespace vmforge::launch
