// I/O limit lowering: throttle-group objects, the throttle node between a disk's device and
// its format node, the plug/unplug order around them, and the live qom-set of a group.
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

}  // namespace

TEST_CASE("limit indexes name the keys these tests set", "[compiler]") {
  CHECK(kIoLimitNames[kIopsTotal].key == "iops_total");
  CHECK(kIoLimitNames[kIopsTotalMax].key == "iops_total_max");
  CHECK(kIoLimitNames[kBpsRead].key == "bps_read");
}

TEST_CASE("a disk without limits has no throttle node", "[compiler]") {
  const auto argv = lowered(with_disks({disk("root")})).argv;
  CHECK(values_of(argv, "-object").empty());
  CHECK(value_with(argv, "-device", "virtio-blk").find(R"("drive":"root.fmt")") != std::string::npos);
}

TEST_CASE("a disk's own limits are a group of its own and a throttle node on it", "[compiler]") {
  Disk d = limited("data", kIopsTotal, 10);
  d.limits.values[kIopsTotalMax] = 20;
  const auto argv = lowered(with_disks({d})).argv;
  CHECK(values_of(argv, "-object") ==
        std::vector<std::string>{
            R"({"qom-type":"throttle-group","id":"data.group","limits":{"iops-total":10,"iops-total-max":20}})"});
  CHECK(values_of(argv, "-blockdev").back() ==
        R"({"driver":"throttle","node-name":"data.limits","throttle-group":"data.group","file":"data.fmt"})");
  CHECK(value_with(argv, "-device", "virtio-blk").find(R"("drive":"data.limits")") != std::string::npos);
}

TEST_CASE("disks of a [[throttle_group]] share its object, each with a throttle node", "[compiler]") {
  Vm vm = small_vm();
  ThrottleGroup slow;
  slow.id = DeviceId("slow");
  slow.limits.values[kBpsRead] = 1048576;
  vm.throttle_groups = {slow};
  Disk a = disk("a");
  Disk b = disk("b");
  a.throttle_group = b.throttle_group = DeviceId("slow");
  vm.disks = {a, b};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"throttle-group","id":"slow","limits":{"bps-read":1048576}})"});
  CHECK(value_with(argv, "-blockdev", R"("node-name":"b.limits")") ==
        R"({"driver":"throttle","node-name":"b.limits","throttle-group":"slow","file":"b.fmt"})");
  CHECK(value_with(argv, "-device", R"("id":"a")").find(R"("drive":"a.limits")") != std::string::npos);
}

TEST_CASE("a read-only disk's throttle node is read-only too", "[compiler]") {
  Disk d = limited("logs", kBpsRead, 4096);
  d.readonly = true;
  CHECK(value_with(lowered(with_disks({d})).argv, "-blockdev", R"("driver":"throttle")") ==
        R"({"driver":"throttle","node-name":"logs.limits","throttle-group":"logs.group","file":"logs.fmt",)"
        R"("read-only":true})");
}

TEST_CASE("a hot disk's group and node come before its device and go after it", "[compiler]") {
  Disk d = limited("data", kIopsTotal, 10);
  d.hotplug = true;
  const Vm vm = with_disks({d});
  auto plug = plug_steps(vm, "disk:data");
  REQUIRE(plug);
  const auto added = commands(*plug);
  REQUIRE(added.size() == 6);
  CHECK(added[2] == R"(blockdev-add {"driver":"raw","node-name":"data.fmt","file":"data.file"})");
  CHECK(added[3] == R"(object-add {"qom-type":"throttle-group","id":"data.group","limits":{"iops-total":10}})");
  CHECK((*plug)[3].undo->command == "object-del");
  CHECK(
      added[4] ==
      R"(blockdev-add {"driver":"throttle","node-name":"data.limits","throttle-group":"data.group","file":"data.fmt"})");
  CHECK((*plug)[4].undo->arguments == R"({"node-name":"data.limits"})");
  CHECK(added[5].find(R"("drive":"data.limits")") != std::string::npos);

  auto unplug = unplug_steps(vm, "disk:data");
  REQUIRE(unplug);
  const auto removed = commands(*unplug);
  REQUIRE(removed.size() == 6);
  CHECK(removed[0].starts_with("device_del "));
  CHECK(removed[1] == R"(blockdev-del {"node-name":"data.limits"})");
  CHECK(removed[2] == R"(object-del {"id":"data.group"})");
  CHECK(removed[3] == R"(blockdev-del {"node-name":"data.fmt"})");
}

TEST_CASE("a hot disk in a [[throttle_group]] neither makes nor deletes the group", "[compiler]") {
  Vm vm = small_vm();
  vm.throttle_groups = {ThrottleGroup{DeviceId("slow"), {}}};
  Disk d = disk("data");
  d.hotplug = true;
  d.throttle_group = DeviceId("slow");
  vm.disks = {d};
  for (const auto& step : commands(*plug_steps(vm, "disk:data"))) CHECK(step.find("object-") == std::string::npos);
  for (const auto& step : commands(*unplug_steps(vm, "disk:data"))) CHECK(step.find("object-") == std::string::npos);
}

TEST_CASE("a live limit change sets every limit, lifting those unset, and its undo sets the old ones", "[compiler]") {
  IoLimits now;
  now.values[kIopsTotal] = 10;
  IoLimits before;
  before.values[kIopsTotal] = 100;
  before.values[kIopsTotalMax] = 200;
  const PlanStep step = set_limits_step("disk:data", "data.group", now, before);
  CHECK(step.resource == "disk:data");
  CHECK(step.call.command == "qom-set");
  CHECK(step.call.arguments.starts_with(
      R"({"path":"/objects/data.group","property":"limits","value":{"iops-total":10,"iops-total-max":0,)"
      R"("iops-total-max-length":1,"iops-read":0,)"));
  CHECK(step.call.arguments.ends_with(R"("bps-write-max":0,"bps-write-max-length":1}})"));
  REQUIRE(step.undo);
  CHECK(step.undo->arguments.find(R"("iops-total":100,"iops-total-max":200,)") != std::string::npos);
}
