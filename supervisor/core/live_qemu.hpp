// find_live_qemu: is a QEMU from an earlier supervisor of this VM still running? Then `run`
// adopts it instead of starting a second QEMU on the same disks.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

struct LiveQemu {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd qmp;  // connected to <state dir>/qmp.sock; the greeting is still to come
};

/// Looks at the pidfile and the QMP socket of `state`. nullopt when no QEMU of ours lives
/// (no pidfile, or its PID is gone or now belongs to something that is not `qemu_binary`;
/// such leftovers are removed). An Error when a QEMU lives but its QMP socket does not
/// answer: starting another one would be worse than refusing.
Result<std::optional<LiveQemu>> find_live_qemu(const StateDir& state, std::string_view vm_name,
                                               std::string_view qemu_binary);

}  // namespace vmforge::supervisor
