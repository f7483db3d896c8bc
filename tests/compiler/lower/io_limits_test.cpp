// I/O limit lowering: throttle-group objects in the argv, the block_set_io_throttle that puts a
// disk's device (its BlockBackend) in its group at start-up and after a device_add, and the
// live steps of a group.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/lower/io_limits.hpp"
#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

namespace {

Disk disk(std::string id) {
  Disk d;
  d.id = DeviceId(id);
  d.file = "/" + id + ".raw";
  return d;
}

constexpr std::size_t kIopsTotal = 0;
constexpr std::size_t kIopsTotalMax = 1;
constexpr std::size_t kBpsRead = 12;

// Disk `id` with limit `index` (of kIoLimitNames) at `value`.
Disk limited(std::string id, std::size_t index, std::uint64_t value) {
  Disk d = disk(std::move(id));
  d.limits.values[index] = value;
  return d;
}

Vm with_disks(std::vector<Disk> disks) {
  Vm vm = small_vm();
  vm.disks = std::move(disks);
  return vm;
}

std::vector<std::string> commands(const std::vector<PlanStep>& steps) {
  std::vector<std::string> out;
  for (const PlanStep& s : steps) out.push_back(s.call.command + " " + s.call.arguments);
  return out;
}

// block_set_io_throttle's limits with iops at `iops`, iops_max at `iops_max`, the rest unset.
std::string iops_limits(std::uint64_t iops, std::uint64_t iops_max) {
  return fmt::format(R"("iops":{},"iops_max":{},"iops_max_length":1,"iops_rd":0,"iops_rd_max":0,)"
                     R"("iops_rd_max_length":1,"iops_wr":0,"iops_wr_max":0,"iops_wr_max_length":1,"bps":0,"bps_max":0,)"
                     R"("bps_max_length":1,"bps_rd":0,"bps_rd_max":0,"bps_rd_max_length":1,"bps_wr":0,"bps_wr_max":0,)"
                     R"("bps_wr_max_length":1)",
                     iops, iops_max);
}

}  // namespace

TEST_CASE("limit indexes name the keys these tests set", "[compiler]") {
  CHECK(kIoLimitNames[kIopsTotal].key == "iops_total");
  CHECK(kIoLimitNames[kIopsTotalMax].key == "iops_total_max");
  CHECK(kIoLimitNames[kBpsRead].key == "bps_read");
}

TEST_CASE("a disk without limits is not throttled", "[compiler]") {
  const Plan plan = lowered(with_disks({disk("root")}));
  CHECK(values_of(plan.argv, "-object").empty());
  CHECK(value_with(plan.argv, "-device", "virtio-blk").find(R"("drive":"root.fmt")") != std::string::npos);
  CHECK(plan.steps.empty());
}

TEST_CASE("a disk's own limits put its device in a group of its own at start-up", "[compiler]") {
  Disk d = limited("data", kIopsTotal, 10);
  d.limits.values[kIopsTotalMax] = 20;
  const Plan plan = lowered(with_disks({d}));
  // No object and no node: QEMU makes the group when the device's backend joins it.
  CHECK(values_of(plan.argv, "-object").empty());
  CHECK(value_with(plan.argv, "-device", "virtio-blk").find(R"("drive":"data.fmt")") != std::string::npos);
  REQUIRE(plan.steps.size() == 1);
  CHECK(plan.steps[0].resource == "disk:data");
  CHECK(commands(plan.steps)[0] == R"(block_set_io_throttle {"id":"/machine/peripheral/data/virtio-backend",)" +
                                       iops_limits(10, 20) + R"(,"group":"data.group"})");
  REQUIRE(plan.steps[0].undo);  // the lift, as for a hot disk
  CHECK(plan.steps[0].undo->arguments ==
        R"({"id":"/machine/peripheral/data/virtio-backend",)" + iops_limits(0, 0) + "}");
}

TEST_CASE("disks of a [[throttle_group]] join its object, each passing the group's limits", "[compiler]") {
  Vm vm = small_vm();
  ThrottleGroup slow;
  slow.id = DeviceId("slow");
  slow.limits.values[kBpsRead] = 1048576;
  vm.throttle_groups = {slow};
  Disk a = disk("a");
  Disk b = disk("b");
  a.throttle_group = b.throttle_group = DeviceId("slow");
  vm.disks = {a, b};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"throttle-group","id":"slow","limits":{"bps-read":1048576}})"});
  const auto steps = commands(plan.steps);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].starts_with(R"(block_set_io_throttle {"id":"/machine/peripheral/a/virtio-backend",)"));
  CHECK(steps[1].starts_with(R"(block_set_io_throttle {"id":"/machine/peripheral/b/virtio-backend",)"));
  for (const std::string& step : steps) {
    CHECK(step.find(R"("bps_rd":1048576,)") != std::string::npos);
    CHECK(step.ends_with(R"(,"group":"slow"})"));
  }
}

TEST_CASE("a disk in a [[throttle_group]] without limits is not throttled", "[compiler]") {
  Vm vm = small_vm();
  vm.throttle_groups = {ThrottleGroup{DeviceId("slow"), {}}};
  Disk d = disk("data");
  d.throttle_group = DeviceId("slow");
  vm.disks = {d};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"throttle-group","id":"slow","limits":{}})"});
  CHECK(plan.steps.empty());
}

TEST_CASE("the throttled device is the one holding the backend: a virtio proxy's child, else itself", "[compiler]") {
  Disk scsi = limited("s", kIopsTotal, 10);
  scsi.bus = DiskBus::scsi;
  Disk mmio = limited("m", kIopsTotal, 10);
  mmio.placement.transport = Transport::mmio;
  const Vm vm = with_disks({scsi, mmio});
  CHECK(initial_throttle_step(vm, scsi)->call.arguments.starts_with(R"({"id":"/machine/peripheral/s","iops":10,)"));
  CHECK(initial_throttle_step(vm, mmio)->call.arguments.starts_with(R"({"id":"/machine/peripheral/m","iops":10,)"));
}

TEST_CASE("a hot disk is throttled right after its device_add and lifted before its device_del", "[compiler]") {
  Disk d = limited("data", kIopsTotal, 10);
  d.hotplug = true;
  const Vm vm = with_disks({d});
  auto plug = plug_steps(vm, "disk:data");
  REQUIRE(plug);
  const auto added = commands(*plug);
  REQUIRE(added.size() == 5);
  CHECK(added[3].starts_with("device_add "));
  CHECK(added[3].find(R"("drive":"data.fmt")") != std::string::npos);
  CHECK(added[4].starts_with(R"(block_set_io_throttle {"id":"/machine/peripheral/data/virtio-backend","iops":10,)"));
  // The boot plan has the same steps once, from the plug.
  CHECK(commands(lowered(vm).steps) == added);

  // The plug's throttle is undone by the lift the unplug starts with, so that the undo of a
  // removal (the plug steps matched to the unplug steps) throttles the re-plugged disk again.
  auto unplug = unplug_steps(vm, "disk:data");
  REQUIRE(unplug);
  const auto removed = commands(*unplug);
  REQUIRE(removed.size() == 5);
  CHECK(removed[0] ==
        R"(block_set_io_throttle {"id":"/machine/peripheral/data/virtio-backend",)" + iops_limits(0, 0) + "}");
  CHECK(removed[1].starts_with("device_del "));
  REQUIRE((*plug)[4].undo);
  CHECK((*plug)[4].undo->arguments == (*unplug)[0].call.arguments);
  for (const auto& step : removed) CHECK(step.find("object-") == std::string::npos);

  // A disk that no manifest throttles is not lifted.
  d.limits = {};
  CHECK(commands(*unplug_steps(with_disks({d}), "disk:data"))[0].starts_with("device_del "));
}

TEST_CASE("a change of throttling sets it whole and its undo sets the old one; none lifts it", "[compiler]") {
  const Disk d = disk("data");
  IoLimits now;
  now.values[kIopsTotal] = 10;
  IoLimits before;
  before.values[kIopsTotal] = 100;
  before.values[kIopsTotalMax] = 200;
  const PlanStep moved = throttle_step(d, {"slow", now}, DiskThrottle{"data.group", before});
  CHECK(moved.resource == "disk:data");
  CHECK(moved.call.arguments ==
        R"({"id":"/machine/peripheral/data/virtio-backend",)" + iops_limits(10, 0) + R"(,"group":"slow"})");
  REQUIRE(moved.undo);
  CHECK(moved.undo->arguments ==
        R"({"id":"/machine/peripheral/data/virtio-backend",)" + iops_limits(100, 200) + R"(,"group":"data.group"})");

  const PlanStep lifted = throttle_step(d, {}, DiskThrottle{"slow", now});
  CHECK(lifted.call.arguments == R"({"id":"/machine/peripheral/data/virtio-backend",)" + iops_limits(0, 0) + "}");
}

TEST_CASE("a group's live limit change sets every limit, lifting those unset, and its undo sets the old ones",
          "[compiler]") {
  IoLimits now;
  now.values[kIopsTotal] = 10;
  IoLimits before;
  before.values[kIopsTotal] = 100;
  before.values[kIopsTotalMax] = 200;
  const PlanStep step = set_limits_step("slow", now, before);
  CHECK(step.resource == "throttle_group:slow");
  CHECK(step.call.command == "qom-set");
  CHECK(step.call.arguments.starts_with(
      R"({"path":"/objects/slow","property":"limits","value":{"iops-total":10,"iops-total-max":0,)"
      R"("iops-total-max-length":1,"iops-read":0,)"));
  CHECK(step.call.arguments.ends_with(R"("bps-write-max":0,"bps-write-max-length":1}})"));
  REQUIRE(step.undo);
  CHECK(step.undo->arguments.find(R"("iops-total":100,"iops-total-max":200,)") != std::string::npos);
}

TEST_CASE("a [[throttle_group]] is added and deleted live, each undone by the other", "[compiler]") {
  IoLimits limits;
  limits.values[kBpsRead] = 4096;
  const PlanStep add = add_group_step("slow", limits);
  CHECK(add.call.arguments == R"({"qom-type":"throttle-group","id":"slow","limits":{"bps-read":4096}})");
  REQUIRE(add.undo);
  CHECK(add.undo->command == "object-del");
  const PlanStep del = delete_group_step("slow", limits);
  CHECK(del.call.command == "object-del");
  REQUIRE(del.undo);
  CHECK(del.undo->arguments == add.call.arguments);
}
