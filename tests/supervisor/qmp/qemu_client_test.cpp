// The QMP client against real QEMU 7.2, paused (-S -nodefaults -display none -accel tcg): the
// handshake with oob, replies, QMP error classes, pipelining, the 207 KB schema, events, fd
// passing (getfd, add-fd) and quit.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/launch/process.hpp"
#include "supervisor/qmp/operations.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace vmforge;
using namespace vmforge::qmp;

namespace {

struct PausedQemu {
  test::TempDir dir;
  launch::Process qemu;
  std::string socket;
};

// QEMU with no guest, its monitor on a socket we create and pass as fd 3 (as the supervisor does).
PausedQemu start_paused() {
  auto dir = test::temp_dir();
  std::string socket = dir.file("qmp.sock");
  auto listener = launch::listen_unix(socket);
  REQUIRE(listener);
  launch::SpawnOptions spawn = test::qemu_with_qmp_fd3(listener->get(), {"-S", "-machine", "q35"});
  auto qemu = launch::spawn(spawn);
  REQUIRE(qemu);
  return PausedQemu{std::move(dir), std::move(*qemu), socket};
}

BlockingClient connect(const PausedQemu& vm) {
  auto client = BlockingClient::connect(vm.socket);
  REQUIRE(client);
  return std::move(*client);
}

}  // namespace

TEST_CASE("real QEMU: handshake with oob, status, error classes, schema", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  CHECK(qmp.greeting().major == 7);
  CHECK(qmp.greeting().minor == 2);
  CHECK(qmp.greeting().has_capability("oob"));
  CHECK(qmp.async().oob_enabled());

  auto status = query_status(qmp);
  REQUIRE(status);
  CHECK(status->status == "prelaunch");
  CHECK_FALSE(status->running);

  auto missing = qmp.execute("query-cpus");  // removed in QEMU 6.0: query-cpus-fast replaces it
  REQUIRE_FALSE(missing);
  CHECK(qmp_error_class(missing.error()) == "CommandNotFound");
  CHECK(missing.error().message ==
        "QMP command 'query-cpus' failed: The command query-cpus has not been found (CommandNotFound)");
  auto no_balloon = query_balloon(qmp);
  REQUIRE_FALSE(no_balloon);
  CHECK(qmp_error_class(no_balloon.error()) == "DeviceNotActive");

  auto schema = query_qmp_schema(qmp);
  REQUIRE(schema);
  CHECK(schema->size() > 1000);
  int commands = 0;
  bool has_device_add = false;
  for (const SchemaInfo& s : *schema) {
    commands += s.meta_type == "command";
    has_device_add = has_device_add || (s.name == "device_add" && s.raw.find("arg-type") != nullptr);
  }
  CHECK(commands > 200);
  CHECK(has_device_add);
}

TEST_CASE("real QEMU: 1000 pipelined commands are all answered, in order", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  const int kCommands = 1000;
  std::vector<int> order;
  for (int i = 0; i < kCommands; ++i) {
    auto id = qmp.async().execute(query_status(), 10s, [&order, i](Result<JsonValue> r) {
      REQUIRE(r);
      order.push_back(i);
    });
    REQUIRE(id);
  }
  auto done = qmp.pump([&] { return order.size() == kCommands; }, 30s);
  REQUIRE(done);
  REQUIRE(*done);
  for (int i = 0; i < kCommands; ++i) REQUIRE(order[i] == i);
}

TEST_CASE("real QEMU: STOP and RESUME events, and completion on an event", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  REQUIRE(qmp.execute(cont()));
  auto resume = qmp.wait_event("RESUME", {}, 5s);
  REQUIRE(resume);
  CHECK(resume->data.is_null());
  CHECK(resume->seconds > 1600000000);
  CHECK(query_status(qmp)->running);
  // QEMU writes STOP before the reply to 'stop': execute_until sees it either way.
  auto stopped = qmp.execute_until("stop", {}, {"STOP", {}}, 5s);
  REQUIRE(stopped);
  CHECK(query_status(qmp)->status == "paused");
}

TEST_CASE("real QEMU: fds pass with getfd and add-fd", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  int pipe_fds[2];
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
  int pass[] = {w.get()};
  REQUIRE(qmp.execute(getfd("vmforge-pipe"), 5s, pass));
  REQUIRE(qmp.execute(closefd("vmforge-pipe")));
  auto unknown = qmp.execute(closefd("vmforge-pipe"));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("File descriptor named 'vmforge-pipe' not found") != std::string::npos);
  // Without an fd in the message QEMU refuses getfd: proof the fd above really travelled.
  auto without = qmp.execute(getfd("nothing"));
  REQUIRE_FALSE(without);
  CHECK(without.error().message.find("No file descriptor supplied via SCM_RIGHTS") != std::string::npos);

  auto added = qmp.execute(add_fd(std::nullopt, "test"), 5s, pass);
  REQUIRE(added);
  auto info = parse_add_fd(*added);
  REQUIRE(info);
  CHECK(info->fd >= 0);
  auto sets = qmp.execute("query-fdsets");
  REQUIRE(sets);
  CHECK(sets->to_json().find("\"opaque\":\"test\"") != std::string::npos);
  REQUIRE(qmp.execute(remove_fd(info->fdset_id)));
}

// The client sends an add-fd once the previous one has answered, with other commands still in
// flight: each fd set must hold its own file (QEMU drops fds that no command took in time).
TEST_CASE("real QEMU: pipelined add-fds each get their own file among other commands", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  constexpr int kFiles = 6;
  std::vector<std::string> paths;
  std::vector<UniqueFd> files;
  for (int i = 0; i < kFiles; ++i) {
    paths.push_back(vm.dir.file(fmt::format("f{}", i)));
    files.emplace_back(::open(paths.back().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(files.back());
  }
  std::vector<std::optional<Result<JsonValue>>> added(kFiles);
  int answered = 0;
  for (int i = 0; i < kFiles; ++i) {
    int pass[] = {files[i].get()};
    REQUIRE(qmp.async().execute(
        add_fd(i + 1, paths[i]), 5s, [&added, &answered, i](Result<JsonValue> r) { added[i] = std::move(r); },
        pass));
    for (int k = 0; k < 3; ++k) {
      REQUIRE(qmp.async().execute(query_status(), 5s, [&answered](Result<JsonValue> r) { answered += r ? 1 : 0; }));
    }
  }
  auto all = qmp.pump(
      [&] {
        return answered == 3 * kFiles &&
               std::all_of(added.begin(), added.end(), [](const auto& a) { return a.has_value(); });
      },
      30s);
  REQUIRE(all);
  REQUIRE(*all);
  for (int i = 0; i < kFiles; ++i) {
    INFO("file " << i);
    REQUIRE(*added[i]);
    auto info = parse_add_fd(**added[i]);
    REQUIRE(info);
    CHECK(info->fdset_id == i + 1);
    char target[4096] = {};
    std::string link = fmt::format("/proc/{}/fd/{}", vm.qemu.pid(), info->fd);
    REQUIRE(::readlink(link.c_str(), target, sizeof target - 1) > 0);
    CHECK(std::string(target) == paths[i]);
  }
}

TEST_CASE("real QEMU: quit sends SHUTDOWN, the reply, then closes", "[qemu]") {
  PausedQemu vm = start_paused();
  BlockingClient qmp = connect(vm);
  REQUIRE(qmp.execute(quit()));
  auto shutdown = qmp.wait_event("SHUTDOWN", {}, 5s);
  REQUIRE(shutdown);
  CHECK(shutdown->data.get_string("reason") == std::string_view("host-qmp-quit"));
  auto status = vm.qemu.wait(10s);
  REQUIRE(status);
  CHECK(status->success());
  auto closed = qmp.pump([&] { return !qmp.connected(); }, 5s);
  REQUIRE(closed);
  CHECK(*closed);
  auto after = qmp.execute("query-status", {}, 2s);
  REQUIRE_FALSE(after);
  CHECK(after.error().errno_value == ENOTCONN);
}
