// Lowering with PciPins: the destination of a live migration gets the source's effective PCI
// layout (its boot ports, and the ports live additions took), not a fresh start's.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "compiler/diff/diff.hpp"
#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

namespace {

Disk disk(std::string id, bool hot) {
  Disk d;
  d.id = DeviceId(id);
  d.file = "/" + id + ".raw";
  d.hotplug = hot;
  return d;
}

// The pcie-root-port devices of an argv, in order.
std::vector<std::string> root_ports(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& d : values_of(plan.argv, "-device")) {
    if (d.find("pcie-root-port") != std::string::npos) out.push_back(d);
  }
  return out;
}

// The arguments of the device_add of `id` among `steps`.
std::string device_add_of(const std::vector<PlanStep>& steps, std::string_view id) {
  for (const PlanStep& s : steps) {
    if (s.call.command == "device_add" && s.call.arguments.find(fmt::format(R"("id":"{}")", id)) != std::string::npos)
      return s.call.arguments;
  }
  FAIL("no device_add of " << id);
  return {};
}

// The steps of the live apply that makes `source` into `now`, in order.
std::vector<PlanStep> live_steps(const Vm& now, const Vm& source) {
  auto applied = diff(now, Current{resources_of(source), &source});
  if (!applied) FAIL(applied.error().message);
  std::vector<PlanStep> live;
  for (const Change& c : applied->changes) live.insert(live.end(), c.steps.begin(), c.steps.end());
  return live;
}

}  // namespace

TEST_CASE("a manifest with a live-added disk, lowered with the source's pins, has the source's layout", "[compiler]") {
  // The source started with data1 hot and two spare ports, then `apply` added data2 and data3
  // and removed data1: data2 and data3 took the first free ports, data1's port stays empty.
  Vm source = small_vm();
  source.machine.hotplug_slots = 2;
  source.disks = {disk("root", false), disk("data1", true)};
  Vm now = source;
  now.disks = {disk("root", false), disk("data2", true), disk("data3", true)};
  const std::vector<PlanStep> live = live_steps(now, source);

  // A fresh start of `now` lays its ports out differently: QEMU would refuse the stream.
  const Plan fresh = lowered(now);
  CHECK(root_ports(fresh) != root_ports(lowered(source)));

  Vm destination = now;
  destination.pci_pins = PciPins{3, {{"data2", "vmforge-rp1"}, {"data3", "vmforge-rp2"}}};
  const Plan pinned = lowered(destination);
  CHECK(root_ports(pinned) == root_ports(lowered(source)));
  CHECK(values_of(pinned.argv, "-device") != values_of(fresh.argv, "-device"));
  for (std::string_view id : {"data2", "data3"}) CHECK(device_add_of(pinned.steps, id) == device_add_of(live, id));
  // Later live changes on the destination plug onto the ports the pins leave free.
  CHECK(resources_of(destination).facts().free_ports == std::vector<std::string>{"vmforge-rp0"});
}

TEST_CASE("pins that do not fit the manifest make lowering fail at [machine] with what to do", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.hotplug_slots = 1;
  vm.disks = {disk("root", false), disk("data1", true)};
  vm.origins["machine"] = SourceLoc{"/m/t.toml", 3, 1};
  vm.pci_pins = PciPins{2, {{"data1", "vmforge-rp0"}, {"data9", "vmforge-rp1"}}};
  auto plan = lower(vm);
  REQUIRE_FALSE(plan);
  const std::string text = plan.error().render("");
  CHECK(text.find("/m/t.toml:3:1") != std::string::npos);
  CHECK(text.find("the running VM has 'data9' on its hotplug root ports") != std::string::npos);
  CHECK(text.find("'vmforge apply FILE' where it runs") != std::string::npos);
}

TEST_CASE("pc: a live addition takes a free slot of pci.0, and the pins give the destination the same", "[compiler]") {
  // The source started with data1 and data2 hot (slots 3 and 4, root in 2); `apply` removed
  // data1 and added data3, which must not take slot 4 as a fresh layout of the manifest would.
  Vm source = small_vm();
  source.machine.family = MachineFamily::pc;
  source.disks = {disk("root", false), disk("data1", true), disk("data2", true)};
  Vm now = source;
  now.disks = {disk("root", false), disk("data2", true), disk("data3", true)};
  const std::vector<PlanStep> live = live_steps(now, source);
  CHECK(device_add_of(live, "data3").find(R"("addr":"0x05.0x0")") != std::string::npos);
  CHECK(device_add_of(lowered(now).steps, "data2").find(R"("addr":"0x03.0x0")") != std::string::npos);

  Vm destination = now;
  destination.pci_pins = PciPins{0, {}, {{"data2", 0x04}, {"data3", 0x05}}};
  const Plan pinned = lowered(destination);
  CHECK(device_add_of(pinned.steps, "data2") == device_add_of(lowered(source).steps, "data2"));
  CHECK(device_add_of(pinned.steps, "data3") == device_add_of(live, "data3"));
  // Later live changes on the destination take the slots the pins leave free.
  REQUIRE(resources_of(destination).facts().free_slots);
  CHECK(resources_of(destination).facts().free_slots->front() == 0x03);
}
