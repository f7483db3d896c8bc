// Tests for the one-supervisor-per-VM lock.
#include "supervisor/core/vm_lock.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

using vmforge::supervisor::VmLock;

namespace {

// Tries the lock from a child process (flock is per open file, so a second open in the same
// process would conflict too, but a separate process is what really happens).
int try_lock_in_child(const std::string& path) {
  pid_t pid = fork();
  if (pid == 0) _exit(VmLock::acquire(path, "web") ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("a second supervisor is refused, naming the holder", "[lock]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/lock";
  {
    auto lock = VmLock::acquire(path, "web");
    REQUIRE(lock);
    CHECK(*vmforge::read_file(path) == std::to_string(getpid()) + "\n");
    auto second = VmLock::acquire(path, "web");
    REQUIRE_FALSE(second);
    CHECK(second.error().errno_value == EBUSY);
    CHECK(second.error().message == "VM 'web' is already running under supervisor PID " + std::to_string(getpid()) +
                                        "; stop it first with 'vmforge stop web'.");
    CHECK(try_lock_in_child(path) == 1);
  }
  CHECK(try_lock_in_child(path) == 0);
}

TEST_CASE("the lock file ends up holding exactly our PID, whatever an earlier holder left", "[lock]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/lock";
  std::string stale = GENERATE(std::string("123456789012\nleftover\n"), std::string("1\n"), std::string());
  REQUIRE(vmforge::supervisor::write_file_atomic(path, stale));
  auto lock = VmLock::acquire(path, "web");
  REQUIRE(lock);
  CHECK(*vmforge::read_file(path) == std::to_string(getpid()) + "\n");
}

TEST_CASE("the lock does not survive into exec'd children", "[lock]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/lock";
  pid_t holder = fork();
  if (holder == 0) {
    auto lock = VmLock::acquire(path, "web");
    // A child that outlives us (as QEMU outlives a killed supervisor) must not keep the lock.
    // posix_spawn returns after the exec, when close-on-exec fds are gone from the child.
    pid_t sleeper = 0;
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("5"), nullptr};
    if (lock && posix_spawnp(&sleeper, "sleep", nullptr, nullptr, argv, environ) != 0) _exit(2);
    _exit(lock ? 0 : 1);
  }
  int status = 0;
  waitpid(holder, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(try_lock_in_child(path) == 0);
}

TEST_CASE("one read of /proc/locks names the holder of every VM's lock, and only held ones", "[lock]") {
  auto tmp = vmforge::test::temp_dir();
  const std::string held = tmp.path() + "/held";
  const std::string released = tmp.path() + "/released";
  const std::string forged = tmp.path() + "/forged";
  auto lock = VmLock::acquire(held, "web");
  REQUIRE(lock);
  REQUIRE(VmLock::acquire(released, "db"));  // taken and dropped again: its file keeps our PID
  // Our PID in a file nobody locks: a PID alone does not make a holder.
  REQUIRE(vmforge::supervisor::write_file_atomic(forged, std::to_string(getpid()) + "\n"));
  const auto table = vmforge::supervisor::FlockTable::read();
  CHECK(table.holder(held) == getpid());
  CHECK_FALSE(table.holder(released));
  CHECK_FALSE(table.holder(forged));
  CHECK_FALSE(table.holder(tmp.path() + "/missing"));
  CHECK(vmforge::supervisor::lock_holder(held) == getpid());
}
