// I/O limits on the test guest under `vmforge run`: query-block shows the manifest's limits
// on the device after start and after every live change (limits changed, lifted, given back,
// a new group joined, the group changed, left and deleted), a limit changed by hand over QMP
// shows in plan as drift and apply restores it, the guest's O_DIRECT reads are held to
// iops_total, two disks of one group share its budget, and a hot disk gets its limits.
#include <chrono>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tests/integration/live_vm.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest_io.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::has;
using test::LiveVm;

namespace {

constexpr std::uint64_t kBlocks = 50;

// The base manifest's extras: disk 'data' (serial D1) with `limits` (its own keys, or
// throttle_group and the group's table after `groups`), and the guest's command port on the
// base manifest's virtio-serial controller, its socket at `socket`.
std::string with_limits(LiveVm& vm, std::string_view name, std::string_view limits, std::string_view socket,
                        std::string_view groups = "") {
  return vm.manifest(name, fmt::format("{}[[disk]]\nid = \"data\"\nfile = \"{}\"\nserial = \"D1\"\n{}\n{}", groups,
                                       vm.dir().file("d1.raw"), limits, test::guest_cmd_port_toml(socket, "vser0")));
}

// What QEMU returned (`vmforge qmp` prints the return value; an error fails vm.qmp()).
JsonValue returned(const JsonValue& reply) { return reply.find("return") ? *reply.find("return") : reply; }

// query-block's `inserted` of device `id`: the node it reads, its group and limits.
JsonValue inserted(LiveVm& vm, std::string_view id) {
  const JsonValue block = returned(vm.qmp(R"({"execute":"query-block"})"));
  for (const JsonValue& b : *block.as_array()) {
    if (b.get_string("qdev").value_or("").find(fmt::format("/{}/", id)) == std::string_view::npos) continue;
    if (const JsonValue* medium = b.find("inserted")) return *medium;
  }
  FAIL("query-block shows no medium in device '" << id << "'");
  return {};
}

// "GROUP iops=N iops_rd=N iops_max=N node=NODE" from query-block, for one CHECK per state.
std::string throttle(LiveVm& vm, std::string_view id) {
  const JsonValue medium = inserted(vm, id);
  return fmt::format("{} iops={} iops_rd={} iops_max={} node={}", medium.get_string("group").value_or("none"),
                     medium.get_uint64("iops").value_or(0), medium.get_uint64("iops_rd").value_or(0),
                     medium.get_uint64("iops_max").value_or(0), medium.get_string("node-name").value_or("?"));
}

bool has_object(LiveVm& vm, std::string_view id) {
  const JsonValue objects = returned(vm.qmp(R"({"execute":"qom-list","arguments":{"path":"/objects"}})"));
  for (const JsonValue& o : *objects.as_array()) {
    if (o.get_string("name") == std::optional(id)) return true;
  }
  return false;
}

test::IoAnswer read_blocks(test::GuestIo& io, std::string_view serial, std::uint64_t blocks = kBlocks) {
  auto answer = io.read(serial, 0, blocks, 120s);
  if (!answer) FAIL(answer.error().message);
  return *answer;
}

// Plans `manifest` (which must show `expected`, as one change and nothing else), applies it,
// and checks that plan then has nothing to do.
void apply_live(
    LiveVm& vm, const std::string& manifest, std::initializer_list<std::string_view> expected,
    std::string_view summary = "Plan: 0 to add, 1 to change, 0 to replace, 0 to remove, 0 restart required.") {
  CliResult plan = vm.cli({"plan", manifest});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  for (std::string_view line : expected) CHECK(plan.out.find(line) != std::string::npos);
  CHECK(plan.out.find(summary) != std::string::npos);
  vm.apply(manifest);
  CliResult after = vm.cli({"plan", manifest});
  INFO(after.out << after.err);
  CHECK(after.status == 0);
}

}  // namespace

TEST_CASE("limits show in query-block at start and after each live change, and hold the guest",
          "[qemu][apply][limits]") {
  LiveVm vm;
  auto socket = test::guest_cmd_socket(vm.dir());
  if (!socket) FAIL(socket.error().message);
  const std::string slow = with_limits(vm, "slow", "iops_total = 10\n", *socket);
  const std::string fast = with_limits(vm, "fast", "iops_total = 1000\n", *socket);
  const std::string unlimited = with_limits(vm, "unlimited", "", *socket);
  const std::string grouped = with_limits(vm, "grouped", "throttle_group = \"shared\"\n", *socket,
                                          "[[throttle_group]]\nid = \"shared\"\niops_read = 20\n");
  const std::string regrouped = with_limits(vm, "regrouped", "throttle_group = \"shared\"\n", *socket,
                                            "[[throttle_group]]\nid = \"shared\"\niops_read = 30\n");
  vm.boot(slow);
  vm.wait_report("ports", [](std::string_view v) { return has(v, test::kGuestCmdPort); });
  auto io = test::GuestIo::connect(*socket, vm.report());
  if (!io) FAIL(io.error().message);

  // After start: the device reads its format node, in a group of its own with the limit.
  CHECK(throttle(vm, "data") == "data.group iops=10 iops_rd=0 iops_max=0 node=data.fmt");

  // 50 one-block O_DIRECT reads at 10 requests per second take about 5 s (QEMU lets a
  // bucket of a tenth of a second through at once).
  const auto started = std::chrono::steady_clock::now();
  const test::IoAnswer held = read_blocks(*io, "D1");
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  INFO("guest: " << held.ms << " ms, host: " << wall.count() << " ms");
  CHECK(held.blocks == kBlocks);
  CHECK(held.ms >= 4000);
  CHECK(wall.count() >= 4000);

  // A live change: plan says what changes and how, apply sets the device's limits in place.
  apply_live(vm, fast,
             {"~ disk:data", "iops_total: '10' -> '1000'",
              R"(block_set_io_throttle {"id":"/machine/peripheral/data/virtio-backend","iops":1000,)"});
  CHECK(throttle(vm, "data") == "data.group iops=1000 iops_rd=0 iops_max=0 node=data.fmt");
  const test::IoAnswer freed = read_blocks(*io, "D1");
  INFO("guest at 1000 iops: " << freed.ms << " ms");
  CHECK(freed.ms < held.ms / 2);

  // A limit set by hand over QMP is drift: plan shows it from QEMU, apply puts the manifest's back.
  vm.qmp(R"({"execute":"block_set_io_throttle","arguments":{"id":"/machine/peripheral/data/virtio-backend",)"
         R"("iops":7,"iops_rd":0,"iops_wr":0,"bps":0,"bps_rd":0,"bps_wr":0,"group":"data.group"}})");
  apply_live(vm, fast, {"iops_total: '7' -> '1000'"});
  CHECK(throttle(vm, "data") == "data.group iops=1000 iops_rd=0 iops_max=0 node=data.fmt");

  // Limits taken away and given back, live.
  apply_live(vm, unlimited, {"~ disk:data", "throttle_group: 'data.group' -> 'none'"});
  CHECK(throttle(vm, "data") == "none iops=0 iops_rd=0 iops_max=0 node=data.fmt");
  apply_live(vm, slow, {"iops_total: '0' -> '10'", "throttle_group: 'none' -> 'data.group'"});
  CHECK(throttle(vm, "data") == "data.group iops=10 iops_rd=0 iops_max=0 node=data.fmt");

  // A new [[throttle_group]] is made live and the disk moves into it; its limits change live.
  apply_live(vm, grouped,
             {"+ throttle_group:shared", R"(object-add {"qom-type":"throttle-group","id":"shared")",
              "throttle_group: 'data.group' -> 'shared'"},
             "Plan: 1 to add, 1 to change, 0 to replace, 0 to remove, 0 restart required.");
  CHECK(throttle(vm, "data") == "shared iops=0 iops_rd=20 iops_max=0 node=data.fmt");
  apply_live(vm, regrouped,
             {"~ throttle_group:shared", "iops_read: '20' -> '30'", R"(qom-set {"path":"/objects/shared")"});
  CHECK(throttle(vm, "data") == "shared iops=0 iops_rd=30 iops_max=0 node=data.fmt");

  // The disk leaves the group, which is deleted after it.
  apply_live(vm, unlimited, {"- throttle_group:shared", R"(object-del {"id":"shared"})"},
             "Plan: 0 to add, 1 to change, 0 to replace, 1 to remove, 0 restart required.");
  CHECK(throttle(vm, "data") == "none iops=0 iops_rd=0 iops_max=0 node=data.fmt");
  CHECK_FALSE(has_object(vm, "shared"));
}

// A group of 5 requests per second with a burst of 60 (for 1 s, so no burst rate): 40 reads on
// one disk go through at once, and 40 more on the other right after find the burst mostly
// spent, about 20 of them held to 5 per second. Groups of their own would let both through.
TEST_CASE("two disks of a [[throttle_group]] share its budget", "[qemu][apply][limits]") {
  LiveVm vm;
  REQUIRE(test::create_disk_image(vm.dir().file("d2.raw"), "raw", 8 << 20));
  auto socket = test::guest_cmd_socket(vm.dir());
  if (!socket) FAIL(socket.error().message);
  const std::string group = "[[throttle_group]]\nid = \"shared\"\niops_total = 5\niops_total_max = 60\n"
                            "[[disk]]\nid = \"other\"\nfile = \"" +
                            vm.dir().file("d2.raw") + "\"\nserial = \"D2\"\nthrottle_group = \"shared\"\n";
  vm.boot(with_limits(vm, "shared", "throttle_group = \"shared\"\n", *socket, group));
  vm.wait_report("ports", [](std::string_view v) { return has(v, test::kGuestCmdPort); });
  auto io = test::GuestIo::connect(*socket, vm.report());
  if (!io) FAIL(io.error().message);
  CHECK(throttle(vm, "data") == "shared iops=5 iops_rd=0 iops_max=60 node=data.fmt");
  CHECK(throttle(vm, "other") == "shared iops=5 iops_rd=0 iops_max=60 node=other.fmt");

  const test::IoAnswer first = read_blocks(*io, "D1", 40);
  const test::IoAnswer second = read_blocks(*io, "D2", 40);
  INFO("D1: " << first.ms << " ms, then D2: " << second.ms << " ms");
  CHECK(second.ms >= 2500);
  CHECK(first.ms < second.ms);

  // The group's limits set by hand reach every member.
  vm.qmp(R"({"execute":"qom-set","arguments":{"path":"/objects/shared","property":"limits",)"
         R"("value":{"iops-total":8}}})");
  CHECK(throttle(vm, "data") == "shared iops=8 iops_rd=0 iops_max=60 node=data.fmt");
  CHECK(throttle(vm, "other") == "shared iops=8 iops_rd=0 iops_max=60 node=other.fmt");
}

TEST_CASE("a hot disk with limits gets them after its device_add and leaves nothing behind", "[qemu][apply][limits]") {
  LiveVm vm;
  const std::string base = vm.manifest("base", "");
  const std::string hot = vm.manifest(
      "hot",
      fmt::format("[[disk]]\nid = \"hot\"\nfile = \"{}\"\nhotplug = true\niops_read = 5\n", vm.dir().file("d1.raw")));
  vm.boot(base);
  const std::string nodes_before = vm.block_nodes();
  vm.apply(hot);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vda"); });
  CHECK(throttle(vm, "hot") == "hot.group iops=0 iops_rd=5 iops_max=0 node=hot.fmt");
  CHECK(vm.cli({"plan", hot}).status == 0);

  vm.apply(base);
  vm.wait_report("blocks", [](std::string_view v) { return !has(v, "vda"); });
  CHECK(vm.block_nodes() == nodes_before);
  CHECK_FALSE(has_object(vm, "hot.group"));
  CHECK(vm.cli({"plan", base}).status == 0);
}
