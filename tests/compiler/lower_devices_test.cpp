// Lowering of buses, filesystems, memory devices and the remaining devices.
#include <catch2/catch.hpp>

#include "tests/compiler/lower_test_support.hpp"

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
  CHECK(devices[0] == R"({"driver":"intel-iommu","id":"iommu","intremap":"on","device-iotlb":false,"caching-mode":false})");
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
  CHECK(devices[0] ==
        R"({"driver":"pcie-root-port","id":"rp1","bus":"pcie.0","addr":"0x01.0x0","chassis":1,"slot":1,"mem-reserve":1073741824})");
  // The generated port skips (chassis 1, slot 1), which rp1 uses.
  CHECK(devices[1] == R"({"driver":"pcie-root-port","id":"vmforge-rp0","bus":"pcie.0","addr":"0x03.0x0","chassis":1,"slot":2})");
  CHECK(devices[2] == R"({"driver":"pci-bridge","id":"br0","bus":"pcie.0","addr":"0x02.0x0","chassis_nr":5,"shpc":true})");
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

TEST_CASE("9p is an escaped -fsdev and a JSON device", "[compiler]") {
  Vm vm = small_vm();
  Fs9p fs;
  fs.id = DeviceId("share");
  fs.path = "/srv/a,b";
  fs.tag = "tag one";
  fs.multidev = Fs9pMultidev::remap;
  fs.readonly = true;
  vm.fs_9p = {fs};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-fsdev") ==
        std::vector<std::string>{"local,id=share.fs,path=/srv/a,,b,security_model=mapped-xattr,multidevs=remap,readonly=on"});
  CHECK(value_with(argv, "-device", "share") ==
        R"({"driver":"virtio-9p-pci","id":"share","bus":"pcie.0","addr":"0x01.0x0","fsdev":"share.fs","mount_tag":"tag one"})");
}

TEST_CASE("virtio-fs: a socket chardev and vhost-user-fs; hot ones plugged", "[compiler]") {
  Vm vm = small_vm();
  VirtioFs fs;
  fs.id = DeviceId("vfs");
  fs.socket = "/run/vfs.sock";
  fs.tag = "home";
  fs.queue_size = 1024;
  fs.hotplug = true;
  vm.virtio_fs = {fs};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].resource == "fs:vfs");
  CHECK(plan.steps[0].call.command == "chardev-add");
  CHECK(plan.steps[1].call.arguments ==
        R"({"driver":"vhost-user-fs-pci","id":"vfs","bus":"vmforge-rp0","chardev":"vfs.char","tag":"home","queue-size":1024})");
  auto unplug = unplug_steps(vm, "fs:vfs");
  REQUIRE(unplug);
  CHECK(unplug->back().call.command == "chardev-remove");
}

TEST_CASE("vfio, vsock, balloon, rng, pvpanic and loader", "[compiler]") {
  Vm vm = small_vm();
  Vfio vfio;
  vfio.id = DeviceId("gpu");
  vfio.host = *HostPciAddress::parse("0000:03:00.0");
  vfio.vendor_id = 0x10de;
  Vsock vsock;
  vsock.id = DeviceId("vsock0");
  vsock.cid = 42;
  vsock.vhost_fd = 9;
  Balloon balloon;
  balloon.id = DeviceId("bal0");
  balloon.deflate_on_oom = true;
  Rng rng;
  rng.id = DeviceId("rng0");
  rng.max_bytes = 1024;
  rng.period_ms = 1000;
  PvPanic panic;
  panic.id = DeviceId("panic");
  Loader loader;
  loader.id = DeviceId("blob");
  loader.file = "/b.bin";
  loader.addr = 0x1000;
  loader.force_raw = true;
  vm.vfios = {vfio};
  vm.vsocks = {vsock};
  vm.balloons = {balloon};
  vm.rngs = {rng};
  vm.pvpanics = {panic};
  vm.loaders = {loader};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-device") ==
        std::vector<std::string>{
            R"({"driver":"vfio-pci","id":"gpu","bus":"pcie.0","addr":"0x01.0x0","host":"0000:03:00.0","x-pci-vendor-id":4318})",
            R"({"driver":"vhost-vsock-pci","id":"vsock0","bus":"pcie.0","addr":"0x02.0x0","guest-cid":42,"vhostfd":"9"})",
            R"({"driver":"virtio-balloon-pci","id":"bal0","bus":"pcie.0","addr":"0x03.0x0","deflate-on-oom":true})",
            R"({"driver":"virtio-rng-pci","id":"rng0","bus":"pcie.0","addr":"0x04.0x0","rng":"rng0.rng","max-bytes":1024,"period":1000})",
            R"({"driver":"pvpanic","id":"panic"})",
            R"({"driver":"loader","id":"blob","file":"/b.bin","addr":4096,"force-raw":true})"});
  CHECK(values_of(argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"rng-random","id":"rng0.rng","filename":"/dev/urandom"})"});
}

TEST_CASE("hot vsock and VFIO are one device_add each", "[compiler]") {
  Vm vm = small_vm();
  Vsock vsock;
  vsock.id = DeviceId("vsock0");
  vsock.hotplug = true;
  Vfio vfio;
  vfio.id = DeviceId("nic9");
  vfio.host = *HostPciAddress::parse("02:00.0");
  vfio.hotplug = true;
  vm.vsocks = {vsock};
  vm.vfios = {vfio};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].resource == "vfio:nic9");
  CHECK(plan.steps[0].call.arguments == R"({"driver":"vfio-pci","id":"nic9","bus":"vmforge-rp0","host":"0000:02:00.0"})");
  CHECK(plan.steps[1].call.arguments == R"({"driver":"vhost-vsock-pci","id":"vsock0","bus":"vmforge-rp1","guest-cid":3})");
  CHECK(unplug_steps(vm, "vsock:vsock0")->size() == 1);
}

TEST_CASE("the cloud-init seed is read from an inherited fd above all others", "[compiler]") {
  Vm vm = small_vm();
  vm.cloud_init = CloudInit{};
  Net n;
  n.id = DeviceId("t0");
  n.backend = NetBackend::tap;
  n.fds = {4, 6};
  vm.nets = {n};
  REQUIRE(cloud_init_seed_fd(vm) == 7);
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-add-fd") == std::vector<std::string>{"fd=7,set=7,opaque=vmforge-seed"});
  CHECK(value_with(argv, "-blockdev", R"("node-name":"vmforge-seed.file")") ==
        R"({"driver":"file","node-name":"vmforge-seed.file","filename":"/dev/fdset/7","read-only":true})");
  CHECK(value_with(argv, "-device", "vmforge-seed") ==
        R"({"driver":"virtio-blk-pci","id":"vmforge-seed","bus":"pcie.0","addr":"0x02.0x0","drive":"vmforge-seed.fmt"})");
  CHECK_FALSE(cloud_init_seed_fd(small_vm()));
}

TEST_CASE("dimms: backend object and pc-dimm; hot ones via object-add", "[compiler]") {
  Vm vm = small_vm();
  vm.memory.slots = 2;
  vm.memory.max = ByteSize(4ull << 30);
  Dimm cold;
  cold.id = DeviceId("dimm0");
  cold.size = ByteSize(256ull << 20);
  Dimm hot = cold;
  hot.id = DeviceId("dimm1");
  hot.backend.kind = MemoryBackendKind::memfd;
  hot.backend.shared = true;
  hot.hotplug = true;
  vm.dimms = {cold, hot};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"memory-backend-ram","id":"dimm0.mem","size":268435456})"});
  CHECK(values_of(plan.argv, "-device") == std::vector<std::string>{R"({"driver":"pc-dimm","id":"dimm0","memdev":"dimm0.mem"})"});
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].call.command == "object-add");
  CHECK(plan.steps[0].call.arguments ==
        R"({"qom-type":"memory-backend-memfd","id":"dimm1.mem","size":268435456,"share":true})");
  CHECK(plan.steps[0].undo->command == "object-del");
  auto unplug = unplug_steps(vm, "dimm:dimm1");
  REQUIRE(unplug);
  CHECK(unplug->back().call.command == "object-del");
}

TEST_CASE("nvdimms switch the machine's nvdimm support on", "[compiler]") {
  Vm vm = small_vm();
  Nvdimm nv;
  nv.id = DeviceId("nv0");
  nv.path = "/pmem/nv0";
  nv.size = ByteSize(64ull << 20);
  nv.readonly = true;
  vm.nvdimms = {nv};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-machine").front() == "q35,nvdimm=on");
  CHECK(values_of(argv, "-object").front() ==
        R"({"qom-type":"memory-backend-file","id":"nv0.mem","size":67108864,"mem-path":"/pmem/nv0","share":true,"readonly":true})");
  CHECK(values_of(argv, "-device").front() == R"({"driver":"nvdimm","id":"nv0","memdev":"nv0.mem","unarmed":true})");
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
