// PciPins: where a running VM's PCI devices sit on vmforge's generated root ports, as the
// source of a live migration observed them. The destination lowers the manifest with them, so
// that its QEMU has the same ports at the same addresses, with each device on the same port
// (QEMU checks every device's config space when it loads the migration stream).
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace vmforge {

struct PciPins {
  /// Generated pcie-root-ports of the running VM: "vmforge-rp0" .. "vmforge-rp<n-1>".
  std::size_t root_ports = 0;
  /// Device id -> the generated root port it sits on.
  std::map<std::string, std::string> ports;

  friend bool operator==(const PciPins&, const PciPins&) = default;
};

}  // namespace vmforge
