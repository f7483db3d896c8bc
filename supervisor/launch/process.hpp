// Process: a child spawned with posix_spawn (clone when it switches credentials), owned through a
// pidfd, its stderr kept in a file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::launch {

/// An open fd of ours that the child gets as `child_fd` (e.g. the QMP listening socket as 3).
struct FdMapping {
  int parent_fd = -1;
  int child_fd = -1;
};

/// Who a child runs as. Switching needs CAP_SETUID and CAP_SETGID: in practice, root.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  /// The supplementary groups; empty drops them all (govmm's Credential with nil Groups).
  std::vector<gid_t> groups;
};

struct SpawnOptions {
  /// argv[0] is the program; without a '/', it is looked up in $PATH.
  std::vector<std::string> argv;
  /// The only fds the child inherits besides 0, 1 and 2; a mapping onto 0-2 replaces them.
  std::vector<FdMapping> fds;
  /// Where the child's stderr goes: this file (created or truncated, 0600) when set, else an
  /// anonymous memory file. Either way Process::stderr_text() reads it back.
  std::optional<std::string> stderr_file;
  /// Keep stdout in a memory file (Process::stdout_text()); else it goes to /dev/null.
  bool capture_stdout = false;
  /// Run the child as these (setgroups, setgid, setuid before the exec); else as ourselves.
  std::optional<Credentials> credentials;
  /// "NAME=VALUE" entries the child's environment has on top of ours (each replaces ours of
  /// that NAME); else it gets ours as it is.
  std::vector<std::string> env;
};

/// How a child ended.
struct ExitStatus {
  bool signaled = false;
  /// The exit code, or the signal number when `signaled`.
  int value = 0;

  bool success() const { return !signaled && value == 0; }
  /// "exited with status 1", "was killed by signal 9 (SIGKILL)".
  std::string describe() const;
};

/// A spawned child. The child runs in its own process group (a Ctrl-C at the terminal reaches
/// the supervisor, which shuts QEMU down cleanly), with default signal dispositions and an
/// empty signal mask whatever the parent blocks, and with stdin on /dev/null.
///
/// Destroying a Process whose child still runs kills it (SIGKILL) and reaps it, so a child
/// never outlives its owner by accident. A child already reaped elsewhere (e.g. by an
/// sd-event child source on pidfd()) is fine: wait() then reports ECHILD.
class Process {
 public:
  Process(Process&&) noexcept = default;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  /// Polls readable when the child exits; for sd_event_add_child_pidfd or poll().
  int pidfd() const { return pidfd_.get(); }
  const std::string& program() const { return program_; }

  /// Sends `signal` through the pidfd (never to a recycled pid).
  Result<void> signal(int signal) const;
  /// Waits up to `timeout` for the child to exit and reaps it.
  Result<ExitStatus> wait(std::chrono::milliseconds timeout);
  /// The exit status if the child has exited, without reaping it; nullopt while it runs.
  Result<std::optional<ExitStatus>> peek() const;
  /// SIGTERM, wait up to `grace`, then SIGKILL and wait: the status it ended with.
  Result<ExitStatus> terminate(std::chrono::milliseconds grace);

  /// The last `max_bytes` the child wrote to stderr / stdout (capture_stdout) so far.
  std::string stderr_text(size_t max_bytes = 64 * 1024) const;
  std::string stdout_text(size_t max_bytes = 64 * 1024) const;

  /// "'qemu-system-x86_64' exited with status 1: <its stderr>": for a child that ended early.
  Error exit_error(const ExitStatus& status) const;

  /// Gives up ownership: the child is no longer killed when this object goes (a supervisor
  /// that leaves QEMU running for its successor). pidfd() stays open until destruction.
  void detach() { reaped_ = true; }

 private:
  friend Result<Process> spawn(const SpawnOptions& options);
  Process() = default;
  void kill_and_reap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd stderr_;
  UniqueFd stdout_;
  std::string program_;
  bool reaped_ = false;  // or detached: nothing to kill or reap
};

/// Starts `options.argv`. Fails (with errno) if the program cannot be executed.
Result<Process> spawn(const SpawnOptions& options);

/// Runs a tool to completion: its stdout, or an error with its status and stderr. A tool
/// still running after `timeout` is killed.
Result<std::string> run(std::vector<std::string> argv, std::chrono::milliseconds timeout);

}  // namespace vmforge::launch
