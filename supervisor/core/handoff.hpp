// Handoff: what the static launcher (`vmforge run`) passes to the supervisor it execs into,
// once it has spawned QEMU: `vmforge-full run FILE --handoff PID:LOCK_FD:MANIFEST_FD:CPUS`.
//
// Why two programs: QEMU takes ~20 ms to come up, and loading the supervisor's shared C++
// libraries takes ~1 ms. The launcher is linked statically and does only what must come before
// the spawn (compile, lock, spawn); the supervisor is loaded while QEMU starts. exec keeps the
// PID, so QEMU stays our child and systemd's main PID stays the same.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::supervisor {

struct Handoff {
  pid_t qemu_pid = 0;  // spawned paused, listening on <state dir>/qmp.sock
  UniqueFd lock;       // holds <state dir>/lock
  UniqueFd manifest;   // the exact manifest text QEMU's argv was compiled from (a sealed memfd)
  std::string cpus;    // the CPUs to run on again once loaded ("0-3"), "" to keep ours
};

/// "PID:LOCK_FD:MANIFEST_FD:CPUS".
std::string format_handoff(pid_t qemu_pid, int lock_fd, int manifest_fd, std::string_view cpus);

/// Parses format_handoff()'s text; both fds must be open in this process. Their ownership
/// passes to the result.
Result<Handoff> parse_handoff(std::string_view text);

}  // namespace vmforge::supervisor
