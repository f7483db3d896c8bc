#include "supervisor/core/vfio_host.hpp"

#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>

namespace vmforge::supervisor {
namespace {

namespace fs = std::filesystem;

// The driver bound to the PCI function at `dir`, "" if none.
std::string bound_driver(const fs::path& dir) {
  std::error_code ec;
  const fs::path driver = fs::read_symlink(dir / "driver", ec);
  return ec ? "" : driver.filename().string();
}

std::string bind_hint(std::string_view address) {
  return fmt::format("bind it with 'driverctl set-override {} vfio-pci' (package driverctl)", address);
}

}  // namespace

Result<void> check_vfio_function(std::string_view address, const HostRoots& roots) {
  const fs::path dir = fs::path(roots.sysfs) / "bus/pci/devices" / std::string(address);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return unexpected(Error(fmt::format("PCI device '{}' does not exist on this host ({} has no such entry).", address,
                                        dir.parent_path().string()),
                            ENODEV));
  }
  if (const std::string driver = bound_driver(dir); driver != "vfio-pci") {
    return unexpected(Error(fmt::format("PCI device '{}' is bound to {}, not vfio-pci: {}.", address,
                                        driver.empty() ? "no driver" : "'" + driver + "'", bind_hint(address)),
                            EBUSY));
  }
  const fs::path group = fs::read_symlink(dir / "iommu_group", ec);
  if (ec) {
    return unexpected(Error(fmt::format("PCI device '{}' has no IOMMU group: enable the IOMMU on the kernel "
                                        "command line (intel_iommu=on or amd_iommu=on).",
                                        address),
                            ENODEV));
  }
  const std::string group_name = group.filename().string();
  const std::string node = fmt::format("{}/vfio/{}", roots.dev, group_name);
  struct stat st {};
  if (::stat(node.c_str(), &st) != 0) {
    return unexpected(Error(fmt::format("'{}', the VFIO node of PCI device '{}', is missing: load the vfio-pci "
                                        "module (modprobe vfio-pci).",
                                        node, address),
                            ENOENT));
  }
  // The iterator's operator++ throws; increment(ec) does not.
  for (fs::directory_iterator member(dir / "iommu_group/devices", ec), end; !ec && member != end;
       member.increment(ec)) {
    const std::string other = member->path().filename().string();
    const std::string driver = bound_driver(member->path());
    if (!driver.empty() && driver != "vfio-pci") {
      return unexpected(Error(fmt::format("PCI device '{}' shares IOMMU group {} with '{}', which is bound to '{}': "
                                          "QEMU takes the whole group, so {} too.",
                                          address, group_name, other, driver, bind_hint(other)),
                              EBUSY));
    }
  }
  return {};
}

}  // namespace vmforge::supervisor
