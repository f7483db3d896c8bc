// The host check of a plan's or a change's needs, against a /dev and sysfs of the test's own:
// the rule (which device needs what) is the compiler's, the check and its wording are here.
#include "supervisor/core/host_check.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "compiler/model/model.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using supervisor::check_host_needs;
using supervisor::HostRoots;
namespace fs = std::filesystem;

namespace {

std::string failure(const Result<void>& r) { return r ? std::string("(no error)") : r.error().message; }

Vm vm_needing_all() {
  Vm vm;
  Net tap;
  tap.id = *DeviceId::parse("tap0");
  tap.backend = NetBackend::tap;
  tap.vhost = true;
  vm.nets.push_back(tap);
  Net nic;
  nic.id = *DeviceId::parse("eth9");
  nic.backend = NetBackend::vfio;
  nic.host = *HostPciAddress::parse("0000:05:00.0");
  vm.nets.push_back(nic);
  Vsock vsock;
  vsock.id = *DeviceId::parse("vsock0");
  vm.vsocks.push_back(vsock);
  return vm;
}

}  // namespace

TEST_CASE("each unmet host need is named with its resource and its fix", "[host]") {
  auto dir = test::temp_dir();
  const HostRoots roots{dir.file("sys"), dir.file("dev")};
  fs::create_directories(roots.dev);
  const Vm vm = vm_needing_all();

  CHECK(failure(check_host_needs(host_needs(vm), roots)) ==
        "NIC 'tap0' has vhost = true but /dev/vhost-net is not usable (QEMU 7.2 aborts instead of failing); load "
        "the vhost_net module or set vhost = false");
  std::ofstream(fs::path(roots.dev) / "vhost-net").close();
  CHECK(failure(check_host_needs(host_needs(vm), roots)).find("'net:eth9': PCI device '0000:05:00.0' does not exist") ==
        0);
  CHECK(failure(check_host_needs(host_needs(vm, ResourceKey{ResourceKind::vsock, "vsock0"}), roots)) ==
        "vsock 'vsock0' needs /dev/vhost-vsock, which is not usable; load the vhost_vsock module");
  std::ofstream(fs::path(roots.dev) / "vhost-vsock").close();
  CHECK(check_host_needs(host_needs(vm, ResourceKey{ResourceKind::vsock, "vsock0"}), roots));
  CHECK(check_host_needs(host_needs(vm, ResourceKey{ResourceKind::disk, "root"}), roots));
}
