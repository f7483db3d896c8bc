// Lowering of buses: intel-iommu first, root ports (manifest and hotplug reserve), bridges, VGA.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

TEST_CASE("intel-iommu comes before every PCI device", "[compiler]") {
  Vm vm = small_vm();
  IntelIommu iommu;
  iommu.id = DeviceId("iommu");
  iommu.intremap = true;
  vm.intel_iommus = {iommu};
  vm.machine.hotplug_slots = 1;
  const auto devices = values_of(lowered(vm).argv, "-device");
  REQUIRE(devices.size() == 2);
  CHECK(devices[0] ==
        R"({"driver":"intel-iommu","id":"iommu","intremap":"on","device-iotlb":false,"caching-mode":false})");
  // KVM refuses interrupt remapping with the in-kernel irqchip.
  CHECK(values_of(lowered(vm).argv, "-machine").front() == "q35,kernel-irqchip=split,graphics=off");
  vm.machine.options = {{"kernel-irqchip", "off"}};
  CHECK(values_of(lowered(vm).argv, "-machine").front() == "q35,kernel-irqchip=off,graphics=off");
}

TEST_CASE("manifest root ports and bridges keep their settings; devices on them have no addr", "[compiler]") {
  Vm vm = small_vm();
  PcieRootPort rp;
  rp.id = DeviceId("rp1");
  rp.chassis = 1;
  rp.slot = 1;
  rp.mem_reserve = ByteSize(1ull << 30);
  PciBridge br;
  br.id = DeviceId("br0");
  br.chassis = 5;
  br.shpc = true;
  vm.pcie_root_ports = {rp};
  vm.pci_bridges = {br};
  vm.machine.hotplug_slots = 1;
  Rng rng;
  rng.id = DeviceId("rng0");
  rng.placement.bus = DeviceId("rp1");
  vm.rngs = {rng};
  const auto devices = values_of(lowered(vm).argv, "-device");
  REQUIRE(devices.size() == 4);
  CHECK(
      devices[0] ==
      R"({"driver":"pcie-root-port","id":"rp1","bus":"pcie.0","addr":"0x01.0x0","chassis":1,"slot":1,"mem-reserve":1073741824})");
  // The generated port skips (chassis 1, slot 1), which rp1 uses.
  CHECK(devices[1] ==
        R"({"driver":"pcie-root-port","id":"vmforge-rp0","bus":"pcie.0","addr":"0x03.0x0","chassis":1,"slot":2})");
  CHECK(devices[2] ==
        R"({"driver":"pci-bridge","id":"br0","bus":"pcie.0","addr":"0x02.0x0","chassis_nr":5,"shpc":true})");
  CHECK(devices[3] == R"({"driver":"virtio-rng-pci","id":"rng0","bus":"rp1","rng":"rng0.rng"})");
}

TEST_CASE("VGA is a device with a slot of its own", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.vga = Vga::std;
  CHECK(values_of(lowered(vm).argv, "-device") ==
        std::vector<std::string>{R"({"driver":"VGA","id":"vmforge-vga","bus":"pcie.0","addr":"0x01.0x0"})"});
  vm.machine.vga = Vga::none;
  CHECK(values_of(lowered(vm).argv, "-device").empty());
}

TEST_CASE("an option ROM on a bridge or root port is refused (QEMU 7.2 aborts on it)", "[compiler]") {
  Vm vm = small_vm();
  PcieRootPort rp;
  rp.id = DeviceId("rp1");
  rp.romfile = "/roms/x.rom";
  PciBridge br;
  br.id = DeviceId("br0");
  br.romfile = "";
  vm.pcie_root_ports = {rp};
  vm.pci_bridges = {br};
  vm.origins["rp1"] = SourceLoc{"/m/t.toml", 7, 1};
  auto plan = lower(vm);
  REQUIRE_FALSE(plan);
  REQUIRE(plan.error().size() == 1);
  CHECK(plan.error().items()[0].loc.line == 7);
  CHECK(plan.error().items()[0].message.find("QEMU 7.2 aborts when a bridge or root port has an option ROM") !=
        std::string::npos);
  vm.pcie_root_ports[0].romfile = "";
  auto fine = lower(vm);
  REQUIRE(fine);
  CHECK(value_with(fine->argv, "-device", "br0").find(R"("romfile":"")") != std::string::npos);
}
