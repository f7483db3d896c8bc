// Credentials: a child switched to another uid, gid and supplementary groups, and the error
// when the switch is not allowed (as 'nobody', and as root without CAP_SETUID).
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "tests/supervisor/launch/run_self.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

// The child's own /proc/self/status, read by `cat` running as `credentials`.
std::string status_as(const launch::Credentials& credentials) {
  launch::SpawnOptions options;
  options.argv = {"cat", "/proc/self/status"};
  options.capture_stdout = true;
  options.credentials = credentials;
  auto child = launch::spawn(options);
  REQUIRE(child);
  auto status = child->wait(10s);
  REQUIRE(status);
  CHECK(status->success());
  return child->stdout_text();
}

// The error of starting `true` as `credentials`; and the failed child is reaped, not a zombie.
Error spawn_error(const launch::Credentials& credentials) {
  launch::SpawnOptions options;
  options.argv = {"true"};
  options.credentials = credentials;
  auto child = launch::spawn(options);
  REQUIRE_FALSE(child);
  CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  return child.error();
}

}  // namespace

TEST_CASE("a child runs with the uid, gid and supplementary groups asked for", "[launch]") {
  REQUIRE(geteuid() == 0);
  std::string status = status_as({65534, 65534, {65534, 100}});
  // Real, effective, saved and filesystem ids all switched; the kernel lists groups sorted.
  CHECK_THAT(status, Catch::Contains("\nUid:\t65534\t65534\t65534\t65534\n"));
  CHECK_THAT(status, Catch::Contains("\nGid:\t65534\t65534\t65534\t65534\n"));
  CHECK_THAT(status, Catch::Contains("\nGroups:\t100 65534 \n"));
  // Root's capabilities went with its uid, and none can come back through an exec.
  CHECK_THAT(status, Catch::Contains("\nCapEff:\t0000000000000000\n"));
  CHECK_THAT(status, Catch::Contains("\nCapBnd:\t0000000000000000\n"));
  CHECK_THAT(status, Catch::Contains("\nNoNewPrivs:\t1\n"));
}

TEST_CASE("no supplementary groups asked for: the child has none", "[launch]") {
  REQUIRE(geteuid() == 0);
  // Ours must not leak to it.
  struct InGroup100 {
    InGroup100() { REQUIRE(setgroups(1, std::vector<gid_t>{100}.data()) == 0); }
    ~InGroup100() { setgroups(0, nullptr); }
  } in_group;
  std::string status = status_as({65534, 100, {}});
  CHECK_THAT(status, Catch::Contains("\nGid:\t100\t100\t100\t100\n"));
  CHECK_THAT(status, Catch::Contains("\nGroups:\t \n"));
}

TEST_CASE("a credentials switch that is not allowed is a clear error", "[launch]") {
  REQUIRE(geteuid() == 0);
  auto nobody =
      test::run_self({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, "[.credentials-as-nobody]");
  REQUIRE(nobody);
  CHECK_THAT(*nobody, Catch::Contains("All tests passed"));
  // Root without CAP_SETUID in its bounding set gets past setgroups and setgid, not setuid.
  auto no_setuid = test::run_self({"setpriv", "--bounding-set=-setuid"}, "[.credentials-without-setuid]");
  REQUIRE(no_setuid);
  CHECK_THAT(*no_setuid, Catch::Contains("All tests passed"));
}

TEST_CASE("half run as nobody: groups cannot be changed", "[.credentials-as-nobody]") {
  REQUIRE(geteuid() == 65534);
  Error dropped = spawn_error({65534, 65534, {}});
  CHECK(dropped.message == "Failed to drop the supplementary groups for 'true': Operation not permitted");
  CHECK(dropped.errno_value == EPERM);
  Error listed = spawn_error({0, 0, {65534, 100}});
  CHECK(listed.message == "Failed to switch to supplementary groups 65534, 100 for 'true': Operation not permitted");
}

TEST_CASE("half run as root without CAP_SETUID: the uid cannot be changed", "[.credentials-without-setuid]") {
  REQUIRE(geteuid() == 0);
  Error error = spawn_error({107, 65534, {}});
  CHECK(error.message == "Failed to switch to uid 107 for 'true': Operation not permitted");
  CHECK(error.errno_value == EPERM);
}
