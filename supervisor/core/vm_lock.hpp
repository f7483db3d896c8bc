// VmLock: one supervisor per VM. An flock(2) on <state dir>/lock held for the supervisor's
// lifetime; the kernel drops it when the process dies, so a crash never leaves it stale.
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <utility>

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

/// The flocks held on this host, from one read of /proc/locks: `vmforge list` asks it for
/// every VM (reading /proc/locks once per VM grew with the square of their number).
class FlockTable {
 public:
  static FlockTable read();
  /// The PID of the supervisor that holds the lock at `path`, or nullopt when none does: the
  /// PID written in the file, if that process holds an flock on the file's inode. Never takes
  /// the lock itself, which would make a `vmforge run` starting meanwhile fail.
  std::optional<pid_t> holder(const std::string& path) const;

 private:
  std::set<std::pair<pid_t, ino_t>> held_;
};

/// FlockTable::read().holder(path), for one VM.
std::optional<pid_t> lock_holder(const std::string& path);

}  // namespace vmforge::supervisor
