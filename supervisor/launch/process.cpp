// Process: a child started in its ChildSetup, owned through a pidfd, stderr in a file.
#include "supervisor/launch/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "supervisor/launch/child_setup.hpp"

namespace vmforge::launch {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// glibc 2.36's <sys/pidfd.h> lacks extern "C" (fixed in 2.37), so C++ cannot link against it.
int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

Result<UniqueFd> memory_file(const char* name) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) return unexpected(errno_error("Failed to create a memory file for a child's output"));
  return fd;
}

// The last `max_bytes` of the file behind `fd` (written by the child through its own fd).
std::string tail_of(int fd, size_t max_bytes) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) return {};
  size_t size = static_cast<size_t>(st.st_size);
  size_t count = std::min(size, max_bytes);
  std::string text(count, '\0');
  ssize_t n = pread(fd, text.data(), count, static_cast<off_t>(size - count));
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

// Status of the exited child behind `si`.
ExitStatus to_status(const siginfo_t& si) {
  if (si.si_code == CLD_EXITED) return ExitStatus{false, si.si_status};
  return ExitStatus{true, si.si_status};
}

}  // namespace

std::string ExitStatus::describe() const {
  if (!signaled) return fmt::format("exited with status {}", value);
  const char* abbrev = sigabbrev_np(value);
  if (abbrev == nullptr) return fmt::format("was killed by signal {}", value);
  return fmt::format("was killed by signal {} (SIG{})", value, abbrev);
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = other.pid_;
    pidfd_ = std::move(other.pidfd_);
    stderr_ = std::move(other.stderr_);
    stdout_ = std::move(other.stdout_);
    program_ = std::move(other.program_);
    reaped_ = other.reaped_;
  }
  return *this;
}

Process::~Process() { kill_and_reap(); }

void Process::kill_and_reap() {
  if (!pidfd_ || reaped_) return;
  pidfd_send_signal(pidfd_.get(), SIGKILL);
  siginfo_t si{};
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, WEXITED) != 0 && errno == EINTR) {
  }
  reaped_ = true;
}

Result<void> Process::signal(int sig) const {
  if (pidfd_send_signal(pidfd_.get(), sig) != 0)
    return unexpected(errno_error(fmt::format("Failed to send signal {} to '{}' (pid {})", sig, program_, pid_)));
  return {};
}

Result<ExitStatus> Process::wait(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd pfd{pidfd_.get(), POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return unexpected(errno_error(fmt::format("Failed to wait for '{}'", program_)));
    if (r == 0)
      return unexpected(
          Error(fmt::format("'{}' (pid {}) is still running after {} ms", program_, pid_, timeout.count()), ETIMEDOUT));
    break;
  }
  siginfo_t si{};
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, WEXITED) != 0) {
    if (errno == EINTR) continue;
    return unexpected(errno_error(fmt::format("Failed to reap '{}' (pid {})", program_, pid_)));
  }
  reaped_ = true;
  return to_status(si);
}

Result<std::optional<ExitStatus>> Process::peek() const {
  siginfo_t si{};
  if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, WEXITED | WNOHANG | WNOWAIT) != 0)
    return unexpected(errno_error(fmt::format("Failed to query '{}' (pid {})", program_, pid_)));
  if (si.si_pid == 0) return std::optional<ExitStatus>();
  return std::optional<ExitStatus>(to_status(si));
}

Result<ExitStatus> Process::terminate(milliseconds grace) {
  VMFORGE_TRY_VOID(signal(SIGTERM));
  auto status = wait(grace);
  if (status || status.error().errno_value != ETIMEDOUT) return status;
  VMFORGE_TRY_VOID(signal(SIGKILL));
  return wait(std::chrono::seconds(10));
}

std::string Process::stderr_text(size_t max_bytes) const { return tail_of(stderr_.get(), max_bytes); }

std::string Process::stdout_text(size_t max_bytes) const { return tail_of(stdout_.get(), max_bytes); }

Error Process::exit_error(const ExitStatus& status) const {
  std::string text = stderr_text();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::string message = fmt::format("'{}' {}", program_, status.describe());
  if (!text.empty()) message += ": " + text;
  return Error(std::move(message));
}

Result<Process> spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty())
    return unexpected(Error("Cannot spawn a process: the argument list names no program", EINVAL));
  const std::string& program = options.argv[0];

  Process process;
  process.program_ = program;
  if (options.stderr_file) {
    process.stderr_ = UniqueFd(open(options.stderr_file->c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!process.stderr_) return unexpected(errno_error(fmt::format("Failed to open '{}'", *options.stderr_file)));
  } else {
    VMFORGE_TRY(process.stderr_, memory_file("stderr"));
  }
  UniqueFd child_stdout;
  if (options.capture_stdout) {
    VMFORGE_TRY(process.stdout_, memory_file("stdout"));
    child_stdout = UniqueFd(fcntl(process.stdout_.get(), F_DUPFD_CLOEXEC, 0));
  } else {
    child_stdout = UniqueFd(open("/dev/null", O_WRONLY | O_CLOEXEC));
  }
  if (!child_stdout) return unexpected(errno_error("Failed to set up a child's stdout"));

  VMFORGE_TRY(ChildSetup setup, ChildSetup::plan(program, child_stdout.get(), process.stderr_.get(), options.fds,
                                                     options.env));
  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // posix_spawn cannot switch credentials; every other spawn stays with it.
  VMFORGE_TRY(pid_t pid,
              options.credentials ? setup.spawn_as(*options.credentials, argv.data()) : setup.spawn(argv.data()));
  process.pid_ = pid;
  process.pidfd_ = UniqueFd(pidfd_open(pid));
  if (!process.pidfd_) {
    int open_err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return unexpected(errno_error(fmt::format("Failed to open a pidfd for '{}'", program), open_err));
  }
  return process;
}

Result<std::string> run(std::vector<std::string> argv, milliseconds timeout) {
  SpawnOptions options;
  options.argv = std::move(argv);
  options.capture_stdout = true;
  VMFORGE_TRY(Process process, spawn(options));
  auto status = process.wait(timeout);
  if (!status) {
    if (status.error().errno_value != ETIMEDOUT) return unexpected(std::move(status).error());
    (void)process.terminate(milliseconds(0));
    return unexpected(Error(
        fmt::format("'{}' did not finish within {} ms and was killed", process.program(), timeout.count()), ETIMEDOUT));
  }
  if (!status->success()) return unexpected(process.exit_error(*status));
  return process.stdout_text(64 * 1024 * 1024);
}

}  // namespace vmforge::launch
