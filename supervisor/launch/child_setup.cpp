// ChildSetup: one description of a child's fds and signal state, rendered as posix_spawn file
// actions and attributes, or applied by hand in a child of our own when credentials must change
// first.
#include "supervisor/launch/child_setup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/base/errno_error.hpp"

extern char** environ;

namespace vmforge::launch {
namespace {

// Owner of a posix_spawn C object (file actions, attributes): init, then destroy.
template <class T, int (*Init)(T*), int (*Destroy)(T*)>
struct SpawnObject {
  T value;
  SpawnObject() { Init(&value); }
  ~SpawnObject() { Destroy(&value); }
  SpawnObject(const SpawnObject&) = delete;
  SpawnObject& operator=(const SpawnObject&) = delete;
};
using FileActions =
    SpawnObject<posix_spawn_file_actions_t, posix_spawn_file_actions_init, posix_spawn_file_actions_destroy>;
using SpawnAttr = SpawnObject<posix_spawnattr_t, posix_spawnattr_init, posix_spawnattr_destroy>;

// Blocks every signal for its lifetime: no handler of ours may run in a child of spawn_as()
// (on its stack, in our memory) before it has reset them.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

// What failed in a child of spawn_as() before its exec.
enum class ChildStep : int { setup, groups, gid, bounding_set, no_new_privs, uid, exec };

// The stack a child of spawn_as() runs on until its exec: room for execvp's PATH buffer and,
// for a script, its copy of argv, as glibc's posix_spawn allows; untouched pages cost nothing.
class ChildStack {
 public:
  explicit ChildStack(std::size_t argc)
      : size_(64 * 1024 + argc * sizeof(char*)),
        base_(mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) {}
  ~ChildStack() {
    if (base_ != MAP_FAILED) munmap(base_, size_);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;

  bool valid() const { return base_ != MAP_FAILED; }
  // Stacks grow down on every architecture Linux runs QEMU on here.
  void* top() const { return static_cast<char*>(base_) + size_; }

 private:
  std::size_t size_;
  void* base_;
};

// "NAME" of a "NAME=VALUE" entry (all of it without a '=').
std::string_view env_name(std::string_view entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

// What spawn_as() hands its child. The child shares our memory until its exec (CLONE_VM), so
// it writes here what failed before that, and we read it once it has exec'd or exited.
struct ChildSetup::ChildStart {
  const ChildSetup& setup;
  const Credentials& credentials;
  char* const* argv;
  char* const* envp;
  bool failed = false;
  ChildStep step = ChildStep::setup;
  int error = 0;

  [[noreturn]] void fail(ChildStep failed_step) noexcept {
    failed = true;
    step = failed_step;
    error = errno;
    _exit(127);
  }
};

Result<ChildSetup> ChildSetup::plan(const std::string& program, int stdout_fd, int stderr_fd,
                                    const std::vector<FdMapping>& fds, const std::vector<std::string>& env) {
  ChildSetup setup;
  setup.program_ = program;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view name = env_name(*e);
    const bool replaced =
        std::any_of(env.begin(), env.end(), [name](const std::string& entry) { return env_name(entry) == name; });
    if (!replaced) setup.env_.emplace_back(*e);
  }
  setup.env_.insert(setup.env_.end(), env.begin(), env.end());
  // Every source first moves above every target, so that no dup2 overwrites a source that a
  // later one still needs; the child closes everything from `close_from_` on.
  for (const FdMapping& m : fds) {
    if (m.child_fd < 0 || m.parent_fd < 0)
      return unexpected(
          Error(fmt::format("Cannot pass fd {} as fd {} to '{}'", m.parent_fd, m.child_fd, program), EBADF));
    setup.close_from_ = std::max(setup.close_from_, m.child_fd + 1);
  }
  auto dup = [&](int fd, int target) -> Result<void> {
    UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, setup.close_from_));
    if (!copy) return unexpected(errno_error(fmt::format("Failed to pass fd {} to '{}'", fd, program)));
    setup.dups_.push_back({copy.get(), target});
    setup.parked_.push_back(std::move(copy));
    return {};
  };
  VMFORGE_TRY_VOID(dup(stdout_fd, 1));
  VMFORGE_TRY_VOID(dup(stderr_fd, 2));
  for (const FdMapping& m : fds) VMFORGE_TRY_VOID(dup(m.parent_fd, m.child_fd));
  for (int fd = 3; fd < setup.close_from_; ++fd) {
    bool mapped = std::any_of(fds.begin(), fds.end(), [fd](const FdMapping& m) { return m.child_fd == fd; });
    if (!mapped) setup.closes_.push_back(fd);
  }
  return setup;
}

std::vector<char*> ChildSetup::envp() const {
  std::vector<char*> envp;
  envp.reserve(env_.size() + 1);
  for (const std::string& entry : env_) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  return envp;
}

Result<pid_t> ChildSetup::spawn(char* const argv[]) const {
  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.value, 0, "/dev/null", O_RDONLY, 0);
  for (const Dup& d : dups_) posix_spawn_file_actions_adddup2(&fa.value, d.source, d.target);
  for (int fd : closes_) posix_spawn_file_actions_addclose(&fa.value, fd);
  posix_spawn_file_actions_addclosefrom_np(&fa.value, close_from_);

  SpawnAttr sa;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&sa.value, &none);
  posix_spawnattr_setsigdefault(&sa.value, &all);
  posix_spawnattr_setpgroup(&sa.value, 0);
  posix_spawnattr_setflags(&sa.value, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  pid_t pid = -1;
  int err = posix_spawnp(&pid, argv[0], &fa.value, &sa.value, argv, envp().data());
  if (err != 0) return unexpected(errno_error(fmt::format("Failed to execute '{}'", program_), err));
  return pid;
}

int ChildSetup::start_child(void* start) noexcept {
  auto& s = *static_cast<ChildStart*>(start);
  s.setup.exec_in_child(s);
}

// What spawn() asks of posix_spawn, done by hand, then the credentials. Only calls that neither
// lock nor allocate: the child runs in our memory, where another thread may hold a lock.
void ChildSetup::exec_in_child(ChildStart& start) const noexcept {
  const Credentials& credentials = start.credentials;
  if (setpgid(0, 0) != 0) start.fail(ChildStep::setup);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  // SIGKILL, SIGSTOP and glibc's two internal signals refuse (EINVAL): nothing sends the latter
  // to a new process, and the exec resets them. Our handlers stay ours: no CLONE_SIGHAND.
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);

  close(0);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0) start.fail(ChildStep::setup);
  if (null_fd != 0) {
    if (dup2(null_fd, 0) < 0) start.fail(ChildStep::setup);
    close(null_fd);
  }
  for (const Dup& d : dups_) {
    if (dup2(d.source, d.target) < 0) start.fail(ChildStep::setup);
  }
  for (int fd : closes_) close(fd);
  if (close_range(static_cast<unsigned>(close_from_), ~0U, 0) != 0) start.fail(ChildStep::setup);

  // Raw system calls: glibc's wrappers would make every thread of our process switch too.
  if (syscall(SYS_setgroups, credentials.groups.size(), credentials.groups.data()) != 0) start.fail(ChildStep::groups);
  if (syscall(SYS_setgid, credentials.gid) != 0) start.fail(ChildStep::gid);
  // setuid() to another user empties the permitted, effective and ambient sets; the bounding
  // set stays unless emptied here (needs CAP_SETPCAP), and no_new_privs keeps an exec of a
  // set-uid program from gaining anything back.
  if (credentials.uid != 0) {
    // One read per capability (each call is ~1 us here; every drop commits new credentials).
    for (int cap = 0, in_set; (in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; ++cap) {
      if (in_set == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) start.fail(ChildStep::bounding_set);
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) start.fail(ChildStep::no_new_privs);
  if (syscall(SYS_setuid, credentials.uid) != 0) start.fail(ChildStep::uid);
  // What QEMU creates itself (a -pidfile, sockets) is its user's alone.
  umask(0077);

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // glibc's execvpe searches PATH with stack buffers only, as posix_spawnp's child does.
  execvpe(start.argv[0], start.argv, start.envp);
  start.fail(ChildStep::exec);
}

Result<pid_t> ChildSetup::spawn_as(const Credentials& credentials, char* const argv[]) const {
  std::size_t argc = 0;
  while (argv[argc] != nullptr) ++argc;
  ChildStack stack(argc);
  if (!stack.valid()) return unexpected(errno_error(fmt::format("Failed to allocate a stack to start '{}'", program_)));
  // posix_spawn's way, which fork's is not: the child borrows our memory, with no page tables
  // to copy, and we resume once it has exec'd or exited (CLONE_VFORK).
  // Made before the clone: the child may neither lock nor allocate.
  const std::vector<char*> child_env = envp();
  ChildStart start{*this, credentials, argv, child_env.data()};
  pid_t pid = -1;
  int clone_error = 0;
  {
    AllSignalsBlocked blocked;
    pid = clone(&ChildSetup::start_child, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    clone_error = errno;
  }
  if (pid < 0) return unexpected(errno_error(fmt::format("Failed to start a process for '{}'", program_), clone_error));
  if (!start.failed) return pid;
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }

  std::string what;
  switch (start.step) {
    case ChildStep::setup: what = fmt::format("Failed to set up the fds and signals of '{}'", program_); break;
    case ChildStep::groups:
      what = credentials.groups.empty() ? fmt::format("Failed to drop the supplementary groups for '{}'", program_)
                                        : fmt::format("Failed to switch to supplementary groups {} for '{}'",
                                                      fmt::join(credentials.groups, ", "), program_);
      break;
    case ChildStep::gid: what = fmt::format("Failed to switch to gid {} for '{}'", credentials.gid, program_); break;
    case ChildStep::bounding_set:
      what = fmt::format("Failed to empty the capability bounding set of '{}' (vmforge needs CAP_SETPCAP)", program_);
      break;
    case ChildStep::no_new_privs: what = fmt::format("Failed to set no_new_privs for '{}'", program_); break;
    case ChildStep::uid: what = fmt::format("Failed to switch to uid {} for '{}'", credentials.uid, program_); break;
    case ChildStep::exec: what = fmt::format("Failed to execute '{}'", program_); break;
  }
  return unexpected(errno_error(what, start.error));
}

}  // namespace vmforge::launch
