// NIC lowering: netdev JSON per backend, virtio-net with MAC and multiqueue, VFIO NICs, link
// state steps, and netdev_add/device_add plugging.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

namespace {

Net nic(std::string id, NetBackend backend) {
  Net n;
  n.id = DeviceId(std::move(id));
  n.backend = backend;
  n.mac = *MacAddr::parse("52:54:00:12:34:56");
  return n;
}

}  // namespace

TEST_CASE("user networking with host forwards", "[compiler]") {
  Vm vm = small_vm();
  Net n = nic("eth0", NetBackend::user);
  n.hostfwd = {"tcp:127.0.0.1:2222-:22"};
  vm.nets = {n};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-netdev") ==
        std::vector<std::string>{R"({"type":"user","id":"eth0.net","hostfwd":[{"str":"tcp:127.0.0.1:2222-:22"}]})"});
  CHECK(values_of(argv, "-device") ==
        std::vector<std::string>{R"({"driver":"virtio-net-pci","id":"eth0","bus":"pcie.0","addr":"0x01.0x0",)"
                                 R"("netdev":"eth0.net","mac":"52:54:00:12:34:56"})"});
}

TEST_CASE("tap by name with scripts, or by pre-opened fds with vhost", "[compiler]") {
  Vm vm = small_vm();
  Net named = nic("t0", NetBackend::tap);
  named.ifname = "tap,0";
  named.queues = 2;
  Net fds = nic("t1", NetBackend::macvtap);
  fds.fds = {5, 6};
  fds.vhost = true;
  fds.vhost_fds = {7, 8};
  vm.nets = {named, fds};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-netdev") ==
        std::vector<std::string>{
            R"({"type":"tap","id":"t0.net","ifname":"tap,0","script":"no","downscript":"no","queues":2})",
            R"({"type":"tap","id":"t1.net","fds":"5:6","vhost":true,"vhostfds":"7:8"})"});
  CHECK(value_with(argv, "-device", "t1.net").find(R"("mq":true,"vectors":6)") != std::string::npos);
  CHECK(value_with(argv, "-device", "t0.net").find(R"("mq":true,"vectors":6)") != std::string::npos);
}

TEST_CASE("vhost-user NICs connect a chardev; VFIO NICs are vfio-pci", "[compiler]") {
  Vm vm = small_vm();
  Net vu = nic("vu0", NetBackend::vhost_user);
  vu.socket = "/run/vu.sock";
  Net vf = nic("vf0", NetBackend::vfio);
  vf.host = *HostPciAddress::parse("02:00.1");
  vm.nets = {vu, vf};
  const auto argv = lowered(vm).argv;
  CHECK(value_with(argv, "-chardev", "vu0") == "socket,id=vu0.char,path=/run/vu.sock");
  CHECK(values_of(argv, "-netdev") ==
        std::vector<std::string>{R"({"type":"vhost-user","id":"vu0.net","chardev":"vu0.char"})"});
  CHECK(value_with(argv, "-device", "vf0") ==
        R"({"driver":"vfio-pci","id":"vf0","bus":"pcie.0","addr":"0x02.0x0","host":"0000:02:00.1"})");
}

TEST_CASE("a NIC that starts with its link down gets a set_link step", "[compiler]") {
  Vm vm = small_vm();
  Net n = nic("eth0", NetBackend::user);
  n.link_up = false;
  vm.nets = {n};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 1);
  CHECK(plan.steps[0].resource == "net:eth0");
  CHECK(plan.steps[0].call.command == "set_link");
  CHECK(plan.steps[0].call.arguments == R"({"name":"eth0","up":false})");
  CHECK(plan.steps[0].undo->arguments == R"({"name":"eth0","up":true})");
}

TEST_CASE("hot NICs: netdev_add, device_add; unplug: device_del, netdev_del", "[compiler]") {
  Vm vm = small_vm();
  Net n = nic("eth1", NetBackend::user);
  n.hotplug = true;
  vm.nets = {n};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-netdev").empty());
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].call.command == "netdev_add");
  CHECK(plan.steps[0].call.arguments == R"({"type":"user","id":"eth1.net"})");
  CHECK(plan.steps[0].undo->command == "netdev_del");
  CHECK(plan.steps[1].call.arguments ==
        R"({"driver":"virtio-net-pci","id":"eth1","bus":"vmforge-rp0","netdev":"eth1.net","mac":"52:54:00:12:34:56"})");
  auto unplug = unplug_steps(vm, "net:eth1");
  REQUIRE(unplug);
  REQUIRE(unplug->size() == 2);
  CHECK((*unplug)[0].call.command == "device_del");
  CHECK((*unplug)[1].call.command == "netdev_del");
  CHECK((*unplug)[1].call.arguments == R"({"id":"eth1.net"})");
}
