// The launcher with real QEMU 7.2 (TCG): QMP on an inherited listening socket (fd 3), QEMU's
// own error text when it exits early, QEMU switched to another user, and all of it as an
// unprivileged user.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/launch/process.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "tests/supervisor/launch/run_self.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

launch::SpawnOptions paused_qemu(int listen_fd) { return test::qemu_with_qmp_fd3(listen_fd, {"-S"}); }

// QEMU paused with its monitor on our socket: query-status, then quit; QEMU exits 0. The
// socket's directory is ours alone (0700): QEMU as another user only has the fd.
void run_paused_qemu(std::optional<launch::Credentials> credentials = std::nullopt) {
  auto dir = test::temp_dir();
  auto listener = launch::listen_unix(dir.file("qmp.sock"));
  REQUIRE(listener);
  auto options = paused_qemu(listener->get());
  options.credentials = credentials;
  auto qemu = launch::spawn(options);
  REQUIRE(qemu);
  if (credentials) {
    std::ifstream file(fmt::format("/proc/{}/status", qemu->pid()));
    std::string status((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK_THAT(status, Catch::Contains(fmt::format("\nUid:\t{0}\t{0}\t{0}\t{0}\n", credentials->uid)));
    CHECK_THAT(status, Catch::Contains(fmt::format("\nGid:\t{0}\t{0}\t{0}\t{0}\n", credentials->gid)));
  }
  listener->reset();  // QEMU holds its own copy
  auto qmp = qmp::BlockingClient::connect(dir.file("qmp.sock"));
  REQUIRE(qmp);
  auto status = qmp->execute("query-status");
  REQUIRE(status);
  CHECK(status->get_string("status") == "prelaunch");
  REQUIRE(qmp->execute("quit"));
  auto exited = qemu->wait(10s);
  REQUIRE(exited);
  CHECK(exited->success());
}

}  // namespace

TEST_CASE("QEMU takes its QMP monitor as an inherited listening socket on fd 3", "[launch]") { run_paused_qemu(); }

TEST_CASE("QEMU runs as the user it is asked to, its monitor on the inherited fd 3", "[launch]") {
  run_paused_qemu(launch::Credentials{65534, 65534, {}});
}

TEST_CASE("QEMU's stderr is in the error when it exits early", "[launch]") {
  auto dir = test::temp_dir();
  auto listener = launch::listen_unix(dir.file("qmp.sock"));
  REQUIRE(listener);
  auto options = paused_qemu(listener->get());
  options.argv.insert(options.argv.end(), {"-device", "no-such-device"});
  auto qemu = launch::spawn(options);
  REQUIRE(qemu);
  auto status = qemu->wait(10s);
  REQUIRE(status);
  CHECK(qemu->exit_error(*status).message ==
        "'qemu-system-x86_64' exited with status 1: qemu-system-x86_64: -device no-such-device: "
        "'no-such-device' is not a valid device model name");
}

TEST_CASE("the launcher works for an unprivileged user", "[launch]") {
  if (geteuid() != 0) {
    run_paused_qemu();
    return;
  }
  // As root, run this binary's unprivileged half as 'nobody' (govmm's LaunchQemu fails there).
  auto out = test::run_self({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, "[.unprivileged]");
  REQUIRE(out);
  CHECK_THAT(*out, Catch::Contains("All tests passed"));
}

TEST_CASE("unprivileged half: QEMU with QMP on fd 3 as this user", "[.unprivileged]") {
  REQUIRE(geteuid() != 0);
  run_paused_qemu();
}
