// ProcessWatch: a child source for our child, an I/O source on the pidfd for an adopted one.
#include "supervisor/sd/process_watch.hpp"

#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "supervisor/sd/child_source.hpp"

namespace vmforge::sd {

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so its functions cannot be linked from C++.
Result<UniqueFd> open_pidfd(pid_t pid) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return unexpected(errno_error(fmt::format("Failed to open process {}", pid)));
  return UniqueFd(fd);
}

std::string ProcessExit::describe() const {
  if (!status_known) return "exited";
  if (killed) return fmt::format("was killed by signal SIG{}", sigabbrev_np(status));
  return fmt::format("exited with status {}", status);
}

Result<std::unique_ptr<ProcessWatch>> ProcessWatch::child(sd_event* event, pid_t pid, UniqueFd pidfd,
                                                          Callback on_exit) {
  std::unique_ptr<ProcessWatch> self(new ProcessWatch(pid, pidfd.get(), std::move(on_exit)));
  VMFORGE_TRY(self->source_,
              add_child_pidfd<&ProcessWatch::on_child>(event, std::move(pidfd), self.get(), "qemu-child"));
  return self;
}

Result<std::unique_ptr<ProcessWatch>> ProcessWatch::adopted(sd_event* event, pid_t pid, UniqueFd pidfd,
                                                            Callback on_exit) {
  std::unique_ptr<ProcessWatch> self(new ProcessWatch(pid, pidfd.get(), std::move(on_exit)));
  VMFORGE_TRY(self->source_, add_io<&ProcessWatch::on_pidfd>(event, pidfd.get(), EPOLLIN, self.get(), "qemu-pidfd"));
  self->adopted_fd_ = std::move(pidfd);
  return self;
}

Result<void> ProcessWatch::kill(int signo) {
  if (exited_) return {};
  if (syscall(SYS_pidfd_send_signal, pidfd_, signo, nullptr, 0) < 0 && errno != ESRCH) {
    return unexpected(errno_error(fmt::format("Failed to send SIG{} to process {}", sigabbrev_np(signo), pid_)));
  }
  return {};
}

Result<void> ProcessWatch::on_child(const siginfo_t* info) {
  ProcessExit how;
  how.status_known = true;
  how.killed = info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
  how.status = info->si_status;
  return finish(how);
}

Result<void> ProcessWatch::on_pidfd(int, std::uint32_t) { return finish(ProcessExit{}); }

Result<void> ProcessWatch::finish(const ProcessExit& how) {
  exited_ = true;
  // Done: an exited process's pidfd stays readable and would fire on every iteration.
  VMFORGE_TRY_VOID(source_.set_enabled(Enabled::off));
  return on_exit_(how);
}

}  // namespace vmforge::sd
