// Tests for signals and process exits delivered through the event loop.
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include <catch2/catch.hpp>

#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/process_watch.hpp"
#include "supervisor/sd/signal_source.hpp"

using vmforge::Result;
using vmforge::UniqueFd;
using vmforge::sd::EventLoop;
using vmforge::sd::ProcessExit;
using vmforge::sd::ProcessWatch;

namespace {

pid_t spawn_sleep(const char* seconds) {
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>(seconds), nullptr};
  posix_spawnp(&pid, "sleep", nullptr, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  return pid;
}

struct SignalCounter {
  int signo = 0;
  Result<void> on_signal(const signalfd_siginfo* info) {
    signo = static_cast<int>(info->ssi_signo);
    return {};
  }
};

// Watches our child `pid`; its end is stored in `seen` and ends the loop.
auto watch_child(EventLoop& loop, pid_t pid, std::optional<ProcessExit>& seen) {
  return ProcessWatch::child(loop.get(), pid, std::move(*vmforge::sd::open_pidfd(pid)),
                             [&loop, &seen](const ProcessExit& how) -> Result<void> {
                               seen = how;
                               return loop.exit(0);
                             });
}

void block_sigchld() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

TEST_CASE("a signal arrives as a loop event and stays blocked meanwhile", "[sd][signal]") {
  auto loop = EventLoop::create();
  REQUIRE(loop);
  SignalCounter counter;
  {
    auto source = vmforge::sd::add_signal<&SignalCounter::on_signal>(loop->get(), SIGUSR1, &counter, "signal-usr1");
    REQUIRE(source);
    sigset_t mask;
    sigprocmask(SIG_BLOCK, nullptr, &mask);
    CHECK(sigismember(&mask, SIGUSR1));
    REQUIRE(kill(getpid(), SIGUSR1) == 0);
    REQUIRE(loop->run_once(std::chrono::seconds(5)));
    CHECK(counter.signo == SIGUSR1);
  }
  sigset_t mask;
  sigprocmask(SIG_BLOCK, nullptr, &mask);
  CHECK_FALSE(sigismember(&mask, SIGUSR1));
}

TEST_CASE("a child's death is reported with its signal and reaped", "[sd][process]") {
  block_sigchld();
  auto loop = EventLoop::create();
  REQUIRE(loop);
  pid_t pid = spawn_sleep("30");
  REQUIRE(pid > 0);
  std::optional<ProcessExit> seen;
  auto watch = watch_child(*loop, pid, seen);
  REQUIRE(watch);
  REQUIRE((*watch)->kill(SIGKILL));
  REQUIRE(loop->run());
  REQUIRE(seen);
  CHECK(seen->describe() == "was killed by signal SIGKILL");
  CHECK((*watch)->exited());
  CHECK((*watch)->kill(SIGTERM));               // harmless after the end
  CHECK(waitpid(pid, nullptr, WNOHANG) == -1);  // already reaped
}

TEST_CASE("an exit status is reported", "[sd][process]") {
  block_sigchld();
  auto loop = EventLoop::create();
  REQUIRE(loop);
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  std::optional<ProcessExit> seen;
  auto watch = watch_child(*loop, pid, seen);
  REQUIRE(watch);
  REQUIRE(loop->run());
  REQUIRE(seen);
  CHECK(seen->describe() == "exited with status 3");
}

TEST_CASE("the end of a process that is not our child is seen too", "[sd][process]") {
  auto loop = EventLoop::create();
  REQUIRE(loop);
  // A grandchild: its parent exits at once, so it is not ours to wait for.
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  pid_t middle = fork();
  if (middle == 0) {
    pid_t grandchild = spawn_sleep("30");
    (void)!write(pipefd[1], &grandchild, sizeof grandchild);
    _exit(0);
  }
  pid_t pid = 0;
  REQUIRE(read(pipefd[0], &pid, sizeof pid) == sizeof pid);
  close(pipefd[0]);
  close(pipefd[1]);
  waitpid(middle, nullptr, 0);
  bool ended = false;
  auto watch = ProcessWatch::adopted(loop->get(), pid, std::move(*vmforge::sd::open_pidfd(pid)),
                                     [&](const ProcessExit& how) -> Result<void> {
                                       ended = !how.status_known;
                                       return loop->exit(0);
                                     });
  REQUIRE(watch);
  REQUIRE((*watch)->kill(SIGTERM));
  REQUIRE(loop->run());
  CHECK(ended);
}
