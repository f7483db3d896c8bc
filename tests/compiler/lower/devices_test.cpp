// Lowering of VFIO, vsock, balloon, rng, pvpanic, loader and the cloud-init seed.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

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
  CHECK(
      values_of(argv, "-device") ==
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
  CHECK(plan.steps[0].call.arguments ==
        R"({"driver":"vfio-pci","id":"nic9","bus":"vmforge-rp0","host":"0000:02:00.0"})");
  CHECK(plan.steps[1].call.arguments ==
        R"({"driver":"vhost-vsock-pci","id":"vsock0","bus":"vmforge-rp1","guest-cid":3})");
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
  CHECK(
      value_with(argv, "-device", "vmforge-seed") ==
      R"({"driver":"virtio-blk-pci","id":"vmforge-seed","bus":"pcie.0","addr":"0x02.0x0","drive":"vmforge-seed.fmt"})");
  CHECK_FALSE(cloud_init_seed_fd(small_vm()));
}
