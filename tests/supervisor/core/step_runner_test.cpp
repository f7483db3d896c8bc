// Tests of the StepRunner against real QEMU with the test guest: pipelined steps of several
// resources, completion by event (DEVICE_DELETED after the guest let go), event timeouts, and
// undo after a failed step leaving QEMU's block nodes as they were.
#include "supervisor/core/step_runner.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "supervisor/core/control_client.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "tests/support/guest.hpp"
#include "tests/supervisor/sd/run_loop_until.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;
using namespace std::chrono_literals;

namespace {

PlanStep step(std::string resource, std::string command, std::string arguments, std::optional<QmpCall> undo = {}) {
  return PlanStep{std::move(resource), QmpCall{std::move(command), std::move(arguments), {}}, std::move(undo)};
}

QmpCall call(std::string command, std::string arguments) {
  return QmpCall{std::move(command), std::move(arguments), {}};
}

// A null-co disk `id` on root port `port`: file node, then the device. Its undo does not wait
// for DEVICE_DELETED: only the tests below that never undo a device use it.
std::vector<PlanStep> plug_disk(const std::string& id, const std::string& port) {
  return {step("disk:" + id, "blockdev-add",
               fmt::format(R"({{"driver":"null-co","node-name":"{}.file","size":1048576}})", id),
               call("blockdev-del", fmt::format(R"({{"node-name":"{}.file"}})", id))),
          step("disk:" + id, "device_add",
               fmt::format(R"({{"driver":"virtio-blk-pci","id":"{}","drive":"{}.file","bus":"{}"}})", id, id, port),
               call("device_del", fmt::format(R"({{"id":"{}"}})", id)))};
}

PlanStep unplug_disk(const std::string& id, std::uint32_t timeout_ms) {
  PlanStep s = step("disk:" + id, "device_del", fmt::format(R"({{"id":"{}"}})", id));
  s.call.completion = Completion{Completion::Kind::event, "DEVICE_DELETED", id, timeout_ms};
  return s;
}

struct Rig {
  test::TempDir dir = test::temp_dir();
  sd::EventLoop loop = std::move(*sd::EventLoop::create());
  std::optional<test::GuestVm> vm;
  std::unique_ptr<qmp::Client> client;

  explicit Rig(bool paused = false) {
    test::GuestVmOptions options;
    options.memory = "256M";
    if (paused) options.extra_args.push_back("-S");
    for (int port = 1; port <= 3; ++port) {
      options.extra_args.push_back("-device");
      options.extra_args.push_back(fmt::format("pcie-root-port,id=rp{},chassis={}", port, port));
    }
    auto started = test::start_guest(dir, options);
    REQUIRE(started);
    vm.emplace(std::move(*started));
    auto fd = qmp::connect_unix(vm->qmp_socket);
    REQUIRE(fd);
    auto attached = qmp::Client::attach(loop.get(), std::move(*fd));
    REQUIRE(attached);
    client = std::move(*attached);
    // The handshake now: its time limit would run out while a test waits for the guest to boot.
    run_until([&] { return client->state() == qmp::ClientState::running; });
    REQUIRE(client->state() == qmp::ClientState::running);
  }

  StepReport run(std::vector<PlanStep> steps, std::vector<std::string>* phases = nullptr,
                 StepRunnerOptions options = {}) {
    std::optional<StepReport> report;
    options.on_progress = [phases](std::size_t index, const PlanStep& s, StepPhase phase) {
      if (phases) phases->push_back(fmt::format("{}:{}:{}", index, s.call.command, to_string(phase)));
    };
    auto runner = StepRunner::start(loop.get(), *client, std::move(steps), std::move(options),
                                    [&](StepReport r) { report = std::move(r); });
    REQUIRE(runner);
    run_until([&] { return report.has_value(); });
    REQUIRE(report);
    return std::move(*report);
  }

  // `info network`: every NIC and netdev QEMU has.
  std::string network() {
    std::optional<std::string> text;
    (void)client->execute("human-monitor-command", R"({"command-line":"info network"})", 10s,
                          [&](Result<JsonValue> r) { text = r ? std::string(r->as_string().value_or("")) : ""; });
    run_until([&] { return text.has_value(); });
    return text.value_or("");
  }

  std::string block_nodes() {
    std::optional<std::string> nodes;
    (void)client->execute("query-named-block-nodes", "", 10s, [&](Result<JsonValue> r) {
      nodes.emplace();
      if (!r) return;
      for (const JsonValue& n : *r->as_array()) *nodes += std::string(n.get_string("node-name").value_or("")) + " ";
    });
    run_until([&] { return nodes.has_value(); });
    return nodes.value_or("");
  }

  template <class Pred>
  void run_until(Pred done) { test::run_loop_until(loop, done, 90s, 100ms); }
};

}  // namespace

TEST_CASE("steps run in order per resource, pipelined; unplug waits for the guest", "[step_runner][guest]") {
  Rig rig;
  REQUIRE(rig.vm->report.wait_ready(test::kGuestBootTimeout));
  std::vector<PlanStep> steps = plug_disk("da", "rp1");
  for (PlanStep& s : plug_disk("db", "rp2")) steps.push_back(std::move(s));
  std::vector<std::string> phases;
  StepReport plugged = rig.run(steps, &phases);
  INFO(plugged.describe(4));
  REQUIRE(plugged.ok());
  CHECK(plugged.completed.size() == 4);
  // Every step was sent before any completed: across the resources, and within each one
  // (a device_add, which has an undo, goes right behind the blockdev-add QEMU runs first).
  REQUIRE(phases.size() == 8);
  CHECK(phases[0] == "0:blockdev-add:started");
  CHECK(phases[1] == "1:device_add:started");
  CHECK(phases[2] == "2:blockdev-add:started");
  CHECK(phases[3] == "3:device_add:started");
  REQUIRE(
      rig.vm->report.wait_for([](const test::ReportValues& v) { return v["blocks"] == "vda,vdb"; }, 30s, "both disks"));

  StepReport removed =
      rig.run({unplug_disk("da", 60000), step("disk:da", "blockdev-del", R"({"node-name":"da.file"})")});
  INFO(removed.describe(2));
  REQUIRE(removed.ok());
  CHECK(rig.block_nodes().find("da.file") == std::string::npos);
  // Which of vda/vdb was "da" depends on the order the guest probed them in.
  CHECK(rig.vm->report.wait_for_key(
      "blocks", [](std::string_view b) { return b == "vda" || b == "vdb"; }, 30s));

  // The guest cannot let go within 1 ms: the step fails, the backend removal never starts.
  StepReport hurried = rig.run({unplug_disk("db", 1), step("disk:db", "blockdev-del", R"({"node-name":"db.file"})")});
  REQUIRE_FALSE(hurried.ok());
  CHECK(hurried.failure->index == 0);
  // The reply may or may not have come within the 1 ms: the client's message says which.
  CHECK(hurried.failure->error.errno_value == ETIMEDOUT);
  CHECK_THAT(hurried.failure->error.message, Catch::StartsWith("QMP command 'device_del' "));
  CHECK(rig.block_nodes().find("db.file") != std::string::npos);
}

TEST_CASE("a failed step undoes the completed ones, newest first", "[step_runner]") {
  Rig rig(/* paused= */ true);
  std::string before = rig.block_nodes();
  std::vector<PlanStep> steps;
  steps.push_back(step("disk:dc", "blockdev-add", R"({"driver":"null-co","node-name":"dc.file"})",
                       call("blockdev-del", R"({"node-name":"dc.file"})")));
  steps.push_back(step("disk:dd", "blockdev-add", R"({"driver":"null-co","node-name":"dd.file"})",
                       call("blockdev-del", R"({"node-name":"dd.file"})")));
  steps.push_back(
      step("disk:dd", "device_add", R"({"driver":"virtio-blk-pci","id":"dd","drive":"dd.file","bus":"nope"})"));
  StepReport report = rig.run(steps);
  REQUIRE_FALSE(report.ok());
  CHECK(report.failure->index == 2);
  CHECK(report.failure->error.message.find("Bus 'nope' not found") != std::string::npos);
  CHECK(report.undone == std::vector<std::size_t>{1, 0});
  CHECK(report.undo_failures.empty());
  CHECK(report.describe(3).find("Step 3/3 (disk:dd: device_add) failed: ") == 0);
  CHECK(rig.block_nodes() == before);
}

// A disk's add-fd goes out once the previous add-fd answered, while that disk's other steps are
// still in flight: when one of them fails, every completed step of both disks is undone, newest
// first, and QEMU is left without their nodes and fd sets.
TEST_CASE("a failure among pipelined add-fds undoes both disks; no node or fd set is left", "[step_runner]") {
  Rig rig;  // running: QEMU 7.2 closes a removed fd (remove-fd) only while the VM runs
  std::string before = rig.block_nodes();
  auto add_fd = [&](const std::string& id, int set) {
    PlanStep s = step("disk:" + id, "add-fd", fmt::format(R"({{"fdset-id":{},"opaque":"{}"}})", set, id),
                      call("remove-fd", fmt::format(R"({{"fdset-id":{}}})", set)));
    const std::string image = rig.dir.file(id + ".img");
    UniqueFd created(::open(image.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(created);
    s.call.file = PassedFile{image, FileOpen::read_write};
    return s;
  };
  auto file_node = [](const std::string& id, int set) {
    return step("disk:" + id, "blockdev-add",
                fmt::format(R"({{"driver":"file","node-name":"{}.file","filename":"/dev/fdset/{}"}})", id, set),
                call("blockdev-del", fmt::format(R"({{"node-name":"{}.file"}})", id)));
  };
  std::vector<PlanStep> steps = {add_fd("dg", 11), file_node("dg", 11),
                                 step("disk:dg", "device_add",
                                      R"({"driver":"virtio-blk-pci","id":"dg","drive":"dg.file","bus":"nope"})"),
                                 add_fd("dh", 12), file_node("dh", 12)};
  StepReport report = rig.run(steps);
  INFO(report.describe(steps.size()));
  REQUIRE_FALSE(report.ok());
  CHECK(report.failure->index == 2);
  CHECK(report.completed.size() == 4);
  std::vector<std::size_t> newest_first(report.completed.rbegin(), report.completed.rend());
  CHECK(report.undone == newest_first);
  CHECK(report.undo_failures.empty());
  CHECK(rig.block_nodes() == before);
  std::optional<std::string> sets;
  (void)rig.client->execute("query-fdsets", "", 10s,
                            [&](Result<JsonValue> r) { sets = r ? r->to_json() : std::string("failed"); });
  rig.run_until([&] { return sets.has_value(); });
  CHECK(sets.value_or("") == "[]");
}

TEST_CASE("a step sent right behind a failing one fails with it; nothing is left", "[step_runner]") {
  Rig rig(/* paused= */ true);
  std::string before = rig.block_nodes();
  std::vector<std::string> phases;
  std::vector<PlanStep> steps = plug_disk("df", "rp1");
  steps[0].call.arguments = R"({"driver":"no-such-driver","node-name":"df.file"})";
  StepReport report = rig.run(steps, &phases);
  REQUIRE_FALSE(report.ok());
  CHECK(phases.at(1) == "1:device_add:started");
  CHECK(report.failure->index == 0);
  CHECK(report.completed.empty());
  CHECK(report.undone.empty());
  CHECK(rig.block_nodes() == before);
}

TEST_CASE("without undo, a failure stops the plan and leaves the rest alone", "[step_runner]") {
  Rig rig(/* paused= */ true);
  std::vector<PlanStep> steps;
  steps.push_back(step("disk:de", "blockdev-add", R"({"driver":"null-co","node-name":"de.file"})",
                       call("blockdev-del", R"({"node-name":"de.file"})")));
  steps.push_back(step("disk:de", "device_add", R"({"driver":"no-such-device","id":"de"})"));
  steps.push_back(step("disk:de", "qom-list", R"({"path":"/machine/peripheral"})"));
  StepRunnerOptions options;
  options.undo_on_failure = false;
  StepReport report = rig.run(steps, nullptr, std::move(options));
  REQUIRE_FALSE(report.ok());
  CHECK(report.completed == std::vector<std::size_t>{0});
  CHECK(report.undone.empty());
  CHECK(rig.block_nodes().find("de.file") != std::string::npos);
}

// D4: the undo of a NIC's device_add times out (the guest is paused), so its netdev_del is not
// sent: QEMU would take the backend from under a device that is still plugged.
TEST_CASE("an undo that fails keeps the older undos of its resource", "[step_runner]") {
  Rig rig(/* paused= */ true);
  QmpCall unplug = call("device_del", R"({"id":"dn"})");
  unplug.completion = Completion{Completion::Kind::event, "DEVICE_DELETED", "dn", 1};
  std::vector<PlanStep> steps;
  steps.push_back(
      step("net:dn", "netdev_add", R"({"type":"user","id":"dn.net"})", call("netdev_del", R"({"id":"dn.net"})")));
  steps.push_back(
      step("net:dn", "device_add", R"({"driver":"virtio-net-pci","id":"dn","netdev":"dn.net","bus":"rp1"})", unplug));
  steps.push_back(step("net:dn", "device_add", R"({"driver":"no-such-device","id":"dx"})"));
  StepReport report = rig.run(steps);
  REQUIRE_FALSE(report.ok());
  CHECK(report.failure->index == 2);
  CHECK(report.undone.empty());
  REQUIRE(report.undo_failures.size() == 1);
  CHECK(report.undo_failures[0].command == "device_del");
  REQUIRE(report.kept.size() == 1);
  CHECK(report.kept[0].index == 0);
  CHECK(report.describe(3).find("Left the rest of 'net:dn' in place") != std::string::npos);
  const std::string network = rig.network();
  INFO(network);
  CHECK(network.find("dn.net") != std::string::npos);
}

TEST_CASE("a step after a barrier waits for every step before it", "[step_runner]") {
  Rig rig(/* paused= */ true);
  std::string before = rig.block_nodes();
  std::vector<std::string> phases;
  std::vector<PlanStep> steps;
  steps.push_back(step("disk:ba", "blockdev-add", R"({"driver":"null-co","node-name":"ba.file"})",
                       call("blockdev-del", R"({"node-name":"ba.file"})")));
  steps.push_back(step("disk:bb", "blockdev-add", R"({"driver":"no-such-driver","node-name":"bb.file"})"));
  steps.push_back(step("disk:bc", "blockdev-add", R"({"driver":"null-co","node-name":"bc.file"})",
                       call("blockdev-del", R"({"node-name":"bc.file"})")));
  StepRunnerOptions options;
  options.barriers = {2};
  StepReport report = rig.run(steps, &phases, std::move(options));
  REQUIRE_FALSE(report.ok());
  CHECK(report.failure->index == 1);
  for (const std::string& p : phases) CHECK_FALSE(p.starts_with("2:"));
  CHECK(report.undone == std::vector<std::size_t>{0});
  CHECK(rig.block_nodes() == before);
}

// QEMU 7.2's ACPI PCI hotplug announces every pending unplug again with each hotplug event, and
// the guest ejects once per announcement, emptying the slot of whatever is in it by then: with
// unplugs sent together, a late second eject removed a device plugged into the freed port.
TEST_CASE("unplugs go out one at a time", "[step_runner][guest]") {
  Rig rig;
  REQUIRE(rig.vm->report.wait_ready(test::kGuestBootTimeout));
  std::vector<PlanStep> steps = plug_disk("ua", "rp1");
  for (PlanStep& s : plug_disk("ub", "rp2")) steps.push_back(std::move(s));
  StepReport plugged = rig.run(steps);
  INFO(plugged.describe(4));
  REQUIRE(plugged.ok());
  REQUIRE(
      rig.vm->report.wait_for([](const test::ReportValues& v) { return v["blocks"] == "vda,vdb"; }, 30s, "both disks"));
  std::vector<std::string> phases;
  StepReport removed = rig.run({unplug_disk("ua", 60000), unplug_disk("ub", 60000)}, &phases);
  INFO(removed.describe(2));
  REQUIRE(removed.ok());
  CHECK(phases == std::vector<std::string>{"0:device_del:started", "0:device_del:completed", "1:device_del:started",
                                           "1:device_del:completed"});
}
