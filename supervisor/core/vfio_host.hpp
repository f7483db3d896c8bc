// Whether a host PCI function can be passed through with VFIO, checked before QEMU is asked:
// QEMU's own error ("vfio 0000:01:00.0: group 5 is not viable") does not say what to do.
#pragma once

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// Where sysfs and /dev are; tests point them at a tree of their own.
struct HostRoots {
  std::string sysfs = "/sys";
  std::string dev = "/dev";
};

/// `address` ("0000:01:00.0") is bound to vfio-pci, has an IOMMU group whose /dev/vfio node
/// exists, and every other member of that group is on vfio-pci or no driver (QEMU takes the
/// whole group). Else an Error saying what is missing and how to fix it.
Result<void> check_vfio_function(std::string_view address, const HostRoots& roots = {});

}  // namespace vmforge::supervisor
