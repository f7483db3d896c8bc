#include "supervisor/core/vfio_host.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "compiler/model/model.hpp"

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
    return unexpected(Error(fmt::format("PCI device '{}' does not exist on this host ({} has no such entry).",
                                        address, dir.parent_path().string()),
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

Result<void> check_vfio_functions(const Vm& vm, const std::optional<ResourceKey>& only, const HostRoots& roots) {
  std::vector<std::pair<ResourceKey, std::string>> functions;  // resource, address
  for (const Vfio& vfio : vm.vfios) {
    if (vfio.host) functions.emplace_back(ResourceKey{ResourceKind::vfio, vfio.id.str()}, vfio.host->to_string());
  }
  for (const Net& net : vm.nets) {
    if (net.backend == NetBackend::vfio && net.host) {
      functions.emplace_back(ResourceKey{ResourceKind::net, net.id.str()}, net.host->to_string());
    }
  }
  for (const auto& [key, address] : functions) {
    if (only && key != *only) continue;
    if (auto usable = check_vfio_function(address, roots); !usable) {
      return unexpected(Error(fmt::format("'{}': {}", key.str(), usable.error().message), usable.error().errno_value));
    }
  }
  return {};
}

}  // namespace vmforge::supervisor
