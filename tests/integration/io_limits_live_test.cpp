// I/O limits on the test guest under `vmforge run`: QEMU has the manifest's limits after start
// and after a live change (the group's `limits`; the device reads through the throttle node),
// a limit changed by hand over QMP shows in plan as drift and apply restores it, the guest's
// O_DIRECT reads are held to iops_total, and a hot disk with limits comes and goes whole.
#include <chrono>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tests/integration/live_vm.hpp"
#include "tests/support/guest_io.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::has;
using test::LiveVm;

namespace {

constexpr std::uint64_t kBlocks = 50;

// The base manifest's extras: disk 'data' (serial D1) with `limits`, and the guest's command
// port on the base manifest's virtio-serial controller, its socket at `socket`.
std::string with_limits(LiveVm& vm, std::string_view name, std::string_view limits, std::string_view socket) {
  return vm.manifest(name, fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nserial = \"D1\"\n{}\n{}",
                                       vm.dir().file("d1.raw"), limits, test::guest_cmd_port_toml(socket, "vser0")));
}

// What QEMU returned (`vmforge qmp` prints the return value; an error fails vm.qmp()).
JsonValue returned(const JsonValue& reply) { return reply.find("return") ? *reply.find("return") : reply; }

// The limits QEMU has for group `id`, as qom-get shows them.
JsonValue group_limits(LiveVm& vm, std::string_view id) {
  return returned(
      vm.qmp(fmt::format(R"({{"execute":"qom-get","arguments":{{"path":"/objects/{}","property":"limits"}}}})", id)));
}

// query-block's view of device `id`: the node its device reads and that node's driver.
std::string device_node(LiveVm& vm, std::string_view id) {
  const JsonValue block = returned(vm.qmp(R"({"execute":"query-block"})"));
  for (const JsonValue& b : *block.as_array()) {
    if (b.get_string("qdev").value_or("").find(fmt::format("/{}/", id)) == std::string_view::npos) continue;
    const JsonValue* inserted = b.find("inserted");
    if (!inserted) return "no medium";
    return fmt::format("{} ({})", inserted->get_string("node-name").value_or("?"),
                       inserted->get_string("drv").value_or("?"));
  }
  return "no device";
}

test::IoAnswer read_blocks(test::GuestIo& io) {
  auto answer = io.read("D1", 0, kBlocks, 120s);
  if (!answer) FAIL(answer.error().message);
  return *answer;
}

}  // namespace

TEST_CASE("limits hold at start, change live, come back after a hand change, and hold the guest",
          "[qemu][apply][limits]") {
  LiveVm vm;
  auto socket = test::guest_cmd_socket(vm.dir());
  if (!socket) FAIL(socket.error().message);
  const std::string slow = with_limits(vm, "slow", "iops_total = 10\n", *socket);
  const std::string fast = with_limits(vm, "fast", "iops_total = 1000\n", *socket);
  vm.boot(slow);
  vm.wait_report("ports", [](std::string_view v) { return has(v, test::kGuestCmdPort); });
  auto io = test::GuestIo::connect(*socket, vm.report());
  if (!io) FAIL(io.error().message);

  // After start: the device reads its throttle node, whose group has the manifest's limit.
  CHECK(device_node(vm, "data") == "data.limits (throttle)");
  CHECK(group_limits(vm, "data.group").get_uint64("iops-total") == 10u);
  CHECK(group_limits(vm, "data.group").get_uint64("iops-total-max") == 0u);

  // 50 one-block O_DIRECT reads at 10 requests per second take about 5 s (QEMU lets a
  // bucket of a tenth of a second through at once).
  const auto started = std::chrono::steady_clock::now();
  const test::IoAnswer held = read_blocks(*io);
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  INFO("guest: " << held.ms << " ms, host: " << wall.count() << " ms");
  CHECK(held.blocks == kBlocks);
  CHECK(held.ms >= 4000);
  CHECK(wall.count() >= 4000);

  // A live change: plan says what changes and how, apply sets the group's limits in place.
  CliResult plan = vm.cli({"plan", fast});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  for (std::string_view expected :
       {"~ disk:data", "iops_total: '10' -> '1000'", R"(qom-set {"path":"/objects/data.group")",
        "Plan: 0 to add, 1 to change, 0 to replace, 0 to remove, 0 restart required."}) {
    CHECK(plan.out.find(expected) != std::string::npos);
  }
  vm.apply(fast);
  CHECK(group_limits(vm, "data.group").get_uint64("iops-total") == 1000u);
  CHECK(device_node(vm, "data") == "data.limits (throttle)");
  CHECK(vm.cli({"plan", fast}).status == 0);
  const test::IoAnswer freed = read_blocks(*io);
  INFO("guest at 1000 iops: " << freed.ms << " ms");
  CHECK(freed.ms < held.ms / 2);

  // A limit set by hand over QMP is drift: plan shows it from QEMU, apply puts the manifest's back.
  vm.qmp(R"({"execute":"qom-set","arguments":{"path":"/objects/data.group","property":"limits",)"
         R"("value":{"iops-total":7}}})");
  plan = vm.cli({"plan", fast});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  CHECK(plan.out.find("iops_total: '7' -> '1000'") != std::string::npos);
  vm.apply(fast);
  CHECK(group_limits(vm, "data.group").get_uint64("iops-total") == 1000u);
  CHECK(vm.cli({"plan", fast}).status == 0);
}

TEST_CASE("a hot disk with limits is plugged with its group and node and leaves nothing behind",
          "[qemu][apply][limits]") {
  LiveVm vm;
  const std::string base = vm.manifest("base", "");
  const std::string hot = vm.manifest(
      "hot",
      fmt::format("[[disk]]\nid = \"hot\"\nfile = \"{}\"\nhotplug = true\niops_read = 5\n", vm.dir().file("d1.raw")));
  vm.boot(base);
  const std::string nodes_before = vm.block_nodes();
  vm.apply(hot);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vda"); });
  CHECK(device_node(vm, "hot") == "hot.limits (throttle)");
  CHECK(group_limits(vm, "hot.group").get_uint64("iops-read") == 5u);
  CHECK(vm.cli({"plan", hot}).status == 0);

  vm.apply(base);
  vm.wait_report("blocks", [](std::string_view v) { return !has(v, "vda"); });
  CHECK(vm.block_nodes() == nodes_before);
  const JsonValue objects = returned(vm.qmp(R"({"execute":"qom-list","arguments":{"path":"/objects"}})"));
  for (const JsonValue& o : *objects.as_array())
    CHECK(o.get_string("name") != std::optional<std::string_view>("hot.group"));
  CHECK(vm.cli({"plan", base}).status == 0);
}
