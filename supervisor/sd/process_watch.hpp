// ProcessWatch: learns through the event loop when a process (QEMU) ends, and signals it,
// both through its pidfd so a recycled PID can never be hit.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::sd {

/// How a watched process ended. For a process we did not start only the fact is known.
struct ProcessExit {
  bool status_known = false;
  bool killed = false;  // by a signal (then `status` is the signal number)
  int status = 0;       // exit code or signal number

  /// "exited with status 1", "was killed by signal SIGKILL", "exited".
  std::string describe() const;
};

/// pidfd_open(2) for `pid`: ESRCH when no such process exists.
Result<UniqueFd> open_pidfd(pid_t pid);

class ProcessWatch {
 public:
  using Callback = std::function<Result<void>(const ProcessExit&)>;

  /// Watches our child `pid` through `pidfd` (taken over) and reaps it when it exits.
  /// SIGCHLD must be blocked before `event` was created.
  static Result<std::unique_ptr<ProcessWatch>> child(sd_event* event, pid_t pid, UniqueFd pidfd, Callback on_exit);
  /// Watches a process we did not start (a QEMU left by a previous supervisor): its pidfd
  /// turns readable when it ends; the exit status belongs to its real parent.
  static Result<std::unique_ptr<ProcessWatch>> adopted(sd_event* event, pid_t pid, UniqueFd pidfd, Callback on_exit);

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }
  /// Sends `signo` through the pidfd; a process that already ended is not an error.
  Result<void> kill(int signo);

 private:
  ProcessWatch(pid_t pid, int pidfd, Callback on_exit) : pid_(pid), pidfd_(pidfd), on_exit_(std::move(on_exit)) {}
  Result<void> on_child(const siginfo_t* info);
  Result<void> on_pidfd(int fd, std::uint32_t revents);
  Result<void> finish(const ProcessExit& how);

  pid_t pid_;
  int pidfd_;  // owned by source_ (child) or by adopted_fd_
  UniqueFd adopted_fd_;
  Callback on_exit_;
  EventSource source_;
  bool exited_ = false;
};

}  // namespace vmforge::sd
