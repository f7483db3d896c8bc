// The VMs of this host: every state directory under the runtime root, with what its supervisor
// says when one runs it. `vmforge list` prints it; the host plan (plan DIR) starts from it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "supervisor/sd/pid_unit.hpp"

namespace vmforge::cli {

struct HostVm {
  std::string name;
  std::string state_dir;
  /// The headline: QEMU's run state ("running", "paused", "internal-error", ...) when the
  /// supervisor could ask QEMU; else the supervisor's own ("starting", "stopping", ...);
  /// "unresponsive" when a supervisor holds the VM's lock but sent no status in time;
  /// "stopped" when none holds it; "stale" when none does but the last one left its socket or
  /// QEMU pidfile behind (it died: `vmforge run` adopts a QEMU still running).
  std::string state;
  std::optional<std::string> supervisor_state;
  std::optional<pid_t> supervisor_pid;
  std::optional<pid_t> qemu_pid;
  std::optional<std::chrono::milliseconds> uptime;  // QEMU's
  std::optional<sd::PidUnit> unit;                  // the supervisor's
  /// What the supervisor runs, or for a VM without one what was applied last ("" if unknown).
  std::string manifest;
  std::string manifest_sha256;

  bool supervised() const { return supervisor_pid.has_value(); }
};

/// How long list waits for all supervisors together: they are asked at once, so one hung
/// supervisor (or one whose QEMU does not answer) costs this much, not more.
inline constexpr std::chrono::milliseconds kSurveyTimeout{2000};

/// How long to wait for the next of many replies asked for at once, with `deadline` for all:
/// at least a millisecond (0 waits forever), so past the deadline a reply that came while
/// earlier ones were read is still taken.
std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline);

/// Every VM with a state directory under the runtime root (resolve_runtime_root() of
/// `runtime_dir`, from --runtime-dir), sorted by name; none when the root does not exist.
Result<std::vector<HostVm>> survey_host(const std::optional<std::string>& runtime_dir,
                                        std::chrono::milliseconds timeout = kSurveyTimeout);

}  // namespace vmforge::cli
