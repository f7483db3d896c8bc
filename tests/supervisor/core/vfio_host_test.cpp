// The VFIO preflight against sysfs and /dev trees laid out like the kernel's: this host has no
// IOMMU group or vfio-pci device to check for real (vfio-live runs the real thing where there
// is one).
#include "supervisor/core/vfio_host.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using supervisor::check_vfio_function;
using supervisor::HostRoots;
namespace fs = std::filesystem;

namespace {

// /sys/bus/pci/devices/<address> -> /sys/devices/pci0000:00/<address>, its driver and
// iommu_group links, and the group's devices/ listing, as the kernel makes them.
struct FakeHost {
  test::TempDir dir = test::temp_dir();
  HostRoots roots{dir.file("sys"), dir.file("dev")};

  fs::path device(const std::string& address) const { return fs::path(roots.sysfs) / "devices/pci0000:00" / address; }

  void add_device(const std::string& address, const std::string& driver, const std::string& group) {
    fs::create_directories(device(address));
    fs::create_directories(fs::path(roots.sysfs) / "bus/pci/devices");
    fs::create_symlink(device(address), fs::path(roots.sysfs) / "bus/pci/devices" / address);
    if (!driver.empty()) {
      fs::create_directories(fs::path(roots.sysfs) / "bus/pci/drivers" / driver);
      fs::create_symlink(fs::path(roots.sysfs) / "bus/pci/drivers" / driver, device(address) / "driver");
    }
    if (!group.empty()) {
      const fs::path group_dir = fs::path(roots.sysfs) / "kernel/iommu_groups" / group;
      fs::create_directories(group_dir / "devices");
      fs::create_symlink(group_dir, device(address) / "iommu_group");
      fs::create_symlink(device(address), group_dir / "devices" / address);
    }
  }

  void add_group_node(const std::string& group) {
    fs::create_directories(fs::path(roots.dev) / "vfio");
    std::ofstream(fs::path(roots.dev) / "vfio" / group).close();
  }
};

std::string failure(const Result<void>& r) { return r ? std::string("(no error)") : r.error().message; }

}  // namespace

TEST_CASE("a function bound to vfio-pci with a viable group passes", "[vfio]") {
  FakeHost host;
  host.add_device("0000:01:00.0", "vfio-pci", "7");
  host.add_device("0000:01:00.1", "", "7");  // a group member on no driver is fine
  host.add_group_node("7");
  auto checked = check_vfio_function("0000:01:00.0", host.roots);
  INFO(failure(checked));
  CHECK(checked);
}

TEST_CASE("each reason a function cannot be passed through is named with its fix", "[vfio]") {
  FakeHost host;
  CHECK(failure(check_vfio_function("0000:09:00.0", host.roots)).find("PCI device '0000:09:00.0' does not exist") == 0);

  host.add_device("0000:02:00.0", "nvidia", "3");
  CHECK(failure(check_vfio_function("0000:02:00.0", host.roots)) ==
        "PCI device '0000:02:00.0' is bound to 'nvidia', not vfio-pci: bind it with 'driverctl set-override "
        "0000:02:00.0 vfio-pci' (package driverctl).");

  host.add_device("0000:03:00.0", "vfio-pci", "");
  CHECK(failure(check_vfio_function("0000:03:00.0", host.roots)).find("has no IOMMU group: enable the IOMMU") !=
        std::string::npos);

  host.add_device("0000:04:00.0", "vfio-pci", "4");
  CHECK(failure(check_vfio_function("0000:04:00.0", host.roots))
            .find("/vfio/4', the VFIO node of PCI device "
                  "'0000:04:00.0', is missing: load the "
                  "vfio-pci module") != std::string::npos);

  host.add_group_node("4");
  host.add_device("0000:04:00.1", "snd_hda_intel", "4");
  CHECK(failure(check_vfio_function("0000:04:00.0", host.roots)) ==
        "PCI device '0000:04:00.0' shares IOMMU group 4 with '0000:04:00.1', which is bound to 'snd_hda_intel': "
        "QEMU takes the whole group, so bind it with 'driverctl set-override 0000:04:00.1 vfio-pci' (package "
        "driverctl) too.");
}
