// VmLock: one supervisor per VM. An flock(2) on <state dir>/lock held for the supervisor's
// lifetime; the kernel drops it when the process dies, so a crash never leaves it stale.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::supervisor {

class VmLock {
 public:
  /// Takes the lock at `path` without waiting and writes our PID into it. Fails with EBUSY,
  /// naming the holder's PID, when another supervisor of VM `vm_name` holds it. The fd is
  /// close-on-exec, so QEMU never inherits (and never keeps) the lock.
  static Result<VmLock> acquire(const std::string& path, std::string_view vm_name);

 private:
  explicit VmLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

/// The PID of the supervisor that holds the lock at `path`, or nullopt when none does: the PID
/// written in the file, if /proc/locks shows that process holding an flock on the file's inode.
/// Never takes the lock itself, which would make a `vmforge run` starting meanwhile fail.
std::optional<pid_t> lock_holder(const std::string& path);

}  // namespace vmforge::supervisor
