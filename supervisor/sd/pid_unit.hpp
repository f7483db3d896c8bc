// The systemd unit a process runs in, from its cgroup (what `systemctl status PID` shows).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace vmforge::sd {

struct PidUnit {
  std::string name;   // "vmforge@web.service", "session-3.scope", ...
  bool user = false;  // a unit of a user's manager (systemctl --user), not of the system's
};

/// The unit of process `pid`: its user manager's unit when it runs under one, else its system
/// unit. nullopt when it is in no unit (no systemd, or its cgroup names none) or libsystemd is
/// missing.
std::optional<PidUnit> unit_of_pid(pid_t pid);

}  // namespace vmforge::sd
