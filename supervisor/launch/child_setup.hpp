// ChildSetup: the state a spawned child starts in, described once and applied by either spawn
// path (posix_spawn, or a clone of our own when the child must switch credentials first).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/launch/process.hpp"

namespace vmforge::launch {

/// A child starts with stdin on /dev/null, stdout and stderr on the given fds, each mapped fd at
/// its number and no other fd open; with an empty signal mask, default signal dispositions and
/// its own process group; with our environment, `env`'s "NAME=VALUE" entries replacing ours.
class ChildSetup {
 public:
  /// Plans the fd moves for `program`; the sources are parked on fresh fds owned by the result.
  static Result<ChildSetup> plan(const std::string& program, int stdout_fd, int stderr_fd,
                                 const std::vector<FdMapping>& fds, const std::vector<std::string>& env);

  /// Starts `argv` (argv[0] looked up in $PATH) in this state with posix_spawnp.
  Result<pid_t> spawn(char* const argv[]) const;
  /// The same in a child that borrows our memory until its exec (CLONE_VM | CLONE_VFORK, as
  /// posix_spawn's does), then setgroups, setgid, (for a uid other than 0) an empty capability
  /// bounding set, no_new_privs, setuid, umask 0077 and execvp. A failure of any step before the
  /// exec comes back as the error, with the child reaped.
  Result<pid_t> spawn_as(const Credentials& credentials, char* const argv[]) const;

 private:
  struct Dup {
    int source = -1;
    int target = -1;
  };

  struct ChildStart;
  static int start_child(void* start) noexcept;
  [[noreturn]] void exec_in_child(ChildStart& start) const noexcept;
  /// The child's environment as execve takes it; points into env_.
  std::vector<char*> envp() const;

  std::string program_;
  std::vector<Dup> dups_;    // stdout, stderr, then the mappings; sources all >= close_from_
  std::vector<int> closes_;  // fds in [3, close_from_) that are no target
  int close_from_ = 3;
  std::vector<UniqueFd> parked_;
  std::vector<std::string> env_;  // "NAME=VALUE", all of it
};

}  // namespace vmforge::launch
