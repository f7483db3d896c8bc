// Process: exit statuses, captured output, the fd map, the environment, signal state, waits and
// kills; the child set-up alike through posix_spawn and through the credentials path (clone).
#include "supervisor/launch/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

launch::SpawnOptions shell(const std::string& script) {
  launch::SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  options.capture_stdout = true;
  return options;
}

// Both spawn paths must set a child up alike: posix_spawn, and clone for a credentials switch
// (here to our own uid and gid, which takes root like any switch).
launch::SpawnOptions via(launch::SpawnOptions options, bool credentials_path) {
  if (credentials_path) options.credentials = launch::Credentials{geteuid(), getegid(), {}};
  return options;
}

std::string read_all(int fd) {
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  return text;
}

}  // namespace

TEST_CASE("a child's exit status, stdout and stderr come back", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  auto child = launch::spawn(via(shell("echo out; echo err >&2; exit 3"), credentials_path));
  REQUIRE(child);
  auto status = child->wait(10s);
  REQUIRE(status);
  CHECK_FALSE(status->success());
  CHECK_FALSE(status->signaled);
  CHECK(status->value == 3);
  CHECK(child->stdout_text() == "out\n");
  CHECK(child->stderr_text() == "err\n");
  CHECK(child->exit_error(*status).message == "'/bin/sh' exited with status 3: err");
}

TEST_CASE("stderr goes to a given file, created 0600", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  auto dir = test::temp_dir();
  auto options = via(shell("echo to-file >&2"), credentials_path);
  options.stderr_file = dir.file("stderr.log");
  auto child = launch::spawn(options);
  REQUIRE(child);
  REQUIRE(child->wait(10s));
  CHECK(child->stderr_text() == "to-file\n");
  struct stat st {};
  REQUIRE(stat(dir.file("stderr.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("mapped fds arrive at their numbers, even crossing, and nothing else leaks", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  int a[2], b[2];
  REQUIRE(pipe2(a, O_CLOEXEC) == 0);
  REQUIRE(pipe2(b, O_CLOEXEC) == 0);
  UniqueFd a_read(a[0]), a_write(a[1]), b_read(b[0]), b_write(b[1]);
  // A descriptor without CLOEXEC that must not reach the child.
  UniqueFd leaky(open("/dev/null", O_RDONLY));
  REQUIRE(leaky);
  // Map a's writer onto b's writer's number and the other way round.
  auto options = shell("echo A >&" + std::to_string(b_write.get()) + "; echo B >&" + std::to_string(a_write.get()) +
                       "; ls /proc/self/fd");
  options.fds = {{a_write.get(), b_write.get()}, {b_write.get(), a_write.get()}};
  auto child = launch::spawn(via(options, credentials_path));
  REQUIRE(child);
  auto status = child->wait(10s);
  REQUIRE(status);
  CHECK(status->success());
  a_write.reset();
  b_write.reset();
  CHECK(read_all(a_read.get()) == "A\n");
  CHECK(read_all(b_read.get()) == "B\n");
  // ls sees 0-2, the two mapped fds and its own directory fd.
  std::string fds = child->stdout_text();
  CHECK(fds.find(std::string("\n").append(std::to_string(leaky.get())).append("\n")) == std::string::npos);
  size_t lines = 0;
  for (char c : fds) lines += c == '\n';
  CHECK(lines == 6);
}

TEST_CASE("the child has our environment, with the given entries replacing ours", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  REQUIRE(setenv("VMFORGE_TEST_KEPT", "ours", 1) == 0);
  REQUIRE(setenv("VMFORGE_TEST_REPLACED", "ours", 1) == 0);
  auto options = shell("env | grep '^VMFORGE_TEST_' | sort");
  options.env = {"VMFORGE_TEST_REPLACED=theirs", "VMFORGE_TEST_NEW=a=b"};
  auto child = launch::spawn(via(options, credentials_path));
  unsetenv("VMFORGE_TEST_KEPT");
  unsetenv("VMFORGE_TEST_REPLACED");
  REQUIRE(child);
  REQUIRE(child->wait(10s));
  CHECK(child->stdout_text() == "VMFORGE_TEST_KEPT=ours\nVMFORGE_TEST_NEW=a=b\nVMFORGE_TEST_REPLACED=theirs\n");
}

TEST_CASE("the same fd number on both sides is passed too", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  UniqueFd r(p[0]), w(p[1]);
  auto options = shell("echo same >&" + std::to_string(w.get()));
  options.fds = {{w.get(), w.get()}};
  auto child = launch::spawn(via(options, credentials_path));
  REQUIRE(child);
  REQUIRE(child->wait(10s));
  w.reset();
  CHECK(read_all(r.get()) == "same\n");
}

TEST_CASE("the child gets an empty signal mask, default dispositions, its own group", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &block, &old) == 0);
  struct sigaction ignore {
  }, old_pipe{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(sigaction(SIGPIPE, &ignore, &old_pipe) == 0);

  launch::SpawnOptions options;
  options.argv = {"cat", "/proc/self/status"};
  options.capture_stdout = true;
  auto child = launch::spawn(via(options, credentials_path));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  REQUIRE(child);
  REQUIRE(child->wait(10s));
  std::string status = child->stdout_text();
  CHECK_THAT(status, Catch::Contains("SigBlk:\t0000000000000000\n"));
  // glibc keeps its own real-time signals (32-34) out of posix_spawn's reach; 1-31 are reset.
  size_t ign = status.find("SigIgn:\t");
  REQUIRE(ign != std::string::npos);
  unsigned long long ignored = std::strtoull(status.c_str() + ign + 8, nullptr, 16);
  CHECK((ignored & (1ULL << (SIGPIPE - 1))) == 0);
  CHECK((ignored & 0x7fffffffULL) == 0);

  auto sleeper = launch::spawn(via(shell("sleep 10"), credentials_path));
  REQUIRE(sleeper);
  CHECK(getpgid(sleeper->pid()) == sleeper->pid());
}

TEST_CASE("a program that cannot be executed is an error, not a child", "[launch]") {
  const bool credentials_path = GENERATE(false, true);
  launch::SpawnOptions options;
  options.argv = {"no-such-program-vmforge"};
  auto child = launch::spawn(via(options, credentials_path));
  REQUIRE_FALSE(child);
  CHECK(child.error().message == "Failed to execute 'no-such-program-vmforge': No such file or directory");
  CHECK(child.error().errno_value == ENOENT);

  CHECK_FALSE(launch::spawn(launch::SpawnOptions{}));
}

TEST_CASE("wait times out, peek does not reap, terminate escalates", "[launch]") {
  auto child = launch::spawn(shell("trap '' TERM; sleep 30"));
  REQUIRE(child);
  auto waited = child->wait(50ms);
  REQUIRE_FALSE(waited);
  CHECK(waited.error().errno_value == ETIMEDOUT);
  auto peeked = child->peek();
  REQUIRE(peeked);
  CHECK_FALSE(peeked->has_value());
  // The shell ignores SIGTERM: terminate() has to send SIGKILL.
  auto status = child->terminate(200ms);
  REQUIRE(status);
  CHECK(status->signaled);
  CHECK(status->value == SIGKILL);
  CHECK(status->describe() == "was killed by signal 9 (SIGKILL)");

  auto quick = launch::spawn(shell("exit 7"));
  REQUIRE(quick);
  for (int i = 0; i < 500; ++i) {
    auto p = quick->peek();
    REQUIRE(p);
    if (p->has_value()) {
      CHECK((*p)->value == 7);
      break;
    }
    usleep(10000);
  }
  auto reaped = quick->wait(1s);
  REQUIRE(reaped);
  CHECK(reaped->value == 7);
}

TEST_CASE("a Process killed by a signal describes it", "[launch]") {
  auto child = launch::spawn(shell("sleep 30"));
  REQUIRE(child);
  REQUIRE(child->signal(SIGTERM));
  auto status = child->wait(10s);
  REQUIRE(status);
  CHECK(child->exit_error(*status).message == "'/bin/sh' was killed by signal 15 (SIGTERM)");
}

TEST_CASE("destroying a Process kills its child; a detached child lives on", "[launch]") {
  pid_t pid = -1;
  {
    auto child = launch::spawn(shell("sleep 30"));
    REQUIRE(child);
    pid = child->pid();
    CHECK(kill(pid, 0) == 0);
  }
  CHECK(kill(pid, 0) == -1);

  pid_t detached = -1;
  {
    auto child = launch::spawn(shell("sleep 30"));
    REQUIRE(child);
    detached = child->pid();
    child->detach();
  }
  CHECK(kill(detached, 0) == 0);
  kill(detached, SIGKILL);
  waitpid(detached, nullptr, 0);
}

TEST_CASE("run returns a tool's stdout, or its status and stderr", "[launch]") {
  auto out = launch::run({"/bin/sh", "-c", "printf 'a\\nb'"}, 10s);
  REQUIRE(out);
  CHECK(*out == "a\nb");
  auto failed = launch::run({"/bin/sh", "-c", "echo bad input >&2; exit 2"}, 10s);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "'/bin/sh' exited with status 2: bad input");
  auto slow = launch::run({"sleep", "30"}, 50ms);
  REQUIRE_FALSE(slow);
  CHECK(slow.error().message == "'sleep' did not finish within 50 ms and was killed");
}
