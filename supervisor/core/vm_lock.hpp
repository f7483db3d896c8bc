// VmLock: one supervisor per VM. An flock(2) on <state dir>/lock held for the supervisor's
// lifetime; the kernel drops it when the process dies, so a crash never leaves it stale.
#pragma once

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

  /// Keeps the lock on `path` that `fd` holds, inherited across an exec (the launcher's; it
  /// must not be released in between). Fails unless `fd` is that file and holds its lock. The fd
  /// becomes close-on-exec again.
  static Result<VmLock> inherit(UniqueFd fd, const std::string& path);

  int fd() const { return fd_.get(); }

 private:
  explicit VmLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace vmforge::supervisor
