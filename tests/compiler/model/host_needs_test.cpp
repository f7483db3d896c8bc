// Which devices need what from the host: recorded once, read by the plan notes and the
// supervisor's check alike.
#include "compiler/model/host_needs.hpp"

#include <catch2/catch.hpp>

#include "compiler/model/model.hpp"

using namespace vmforge;

namespace {

// Built member by member: GCC 12 at -O3 warns falsely (-Wmaybe-uninitialized) on the nested
// aggregate temporary HostNeed{kind, {resource, id}, address}.
HostNeed need(HostNeedKind kind, ResourceKind resource, std::string id, std::string address = "") {
  HostNeed n;
  n.kind = kind;
  n.resource.kind = resource;
  n.resource.id = std::move(id);
  n.address = std::move(address);
  return n;
}

}  // namespace

TEST_CASE("host needs: vhost-net without fds, vhost-vsock without an fd, VFIO functions by host address", "[host]") {
  Vm vm;
  Net tap;
  tap.id = *DeviceId::parse("tap0");
  tap.backend = NetBackend::tap;
  tap.vhost = true;
  Net with_fds = tap;
  with_fds.id = *DeviceId::parse("tap1");
  with_fds.vhost_fds = {9};
  Net nic;
  nic.id = *DeviceId::parse("eth9");
  nic.backend = NetBackend::vfio;
  nic.host = *HostPciAddress::parse("0000:05:00.0");
  vm.nets = {tap, with_fds, nic};
  Vfio gpu;
  gpu.id = *DeviceId::parse("gpu0");
  gpu.host = *HostPciAddress::parse("0000:02:00.0");
  Vfio mdev;
  mdev.id = *DeviceId::parse("mdev0");
  mdev.sysfsdev = "/sys/bus/mdev/devices/uuid";
  vm.vfios = {gpu, mdev};
  Vsock vsock;
  vsock.id = *DeviceId::parse("vsock0");
  Vsock passed = vsock;
  passed.id = *DeviceId::parse("vsock1");
  passed.vhost_fd = 7;
  vm.vsocks = {vsock, passed};

  const std::vector<HostNeed> needs = host_needs(vm);
  REQUIRE(needs.size() == 4);
  CHECK(needs[0] == need(HostNeedKind::vhost_net, ResourceKind::net, "tap0"));
  CHECK(needs[1] == need(HostNeedKind::vfio_function, ResourceKind::net, "eth9", "0000:05:00.0"));
  CHECK(needs[2] == need(HostNeedKind::vfio_function, ResourceKind::vfio, "gpu0", "0000:02:00.0"));
  CHECK(needs[3] == need(HostNeedKind::vhost_vsock, ResourceKind::vsock, "vsock0"));
  CHECK(host_needs(vm, ResourceKey{ResourceKind::vfio, "gpu0"}) == std::vector<HostNeed>{needs[2]});
  CHECK(host_needs(vm, ResourceKey{ResourceKind::vfio, "mdev0"}).empty());
  CHECK(host_need_note(needs[0]) ==
        "vhost = true: the supervisor checks /dev/vhost-net first (QEMU 7.2 aborts without it)");
}
