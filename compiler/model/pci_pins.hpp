// PciPins: where a running VM's PCI devices sit, as the source of a live migration observed
// them: on q35 vmforge's generated root ports, on pc the slots of pci.0. The destination lowers
// the manifest with them, so that its QEMU has each device at the same address (QEMU loads a
// device's state by its address: two devices of one type swapped would each get the other's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace vmforge {

struct PciPins {
  /// Generated pcie-root-ports of the running VM: "vmforge-rp0" .. "vmforge-rp<n-1>".
  std::size_t root_ports = 0;
  /// Device id -> the generated root port it sits on.
  std::map<std::string, std::string> ports;
  /// pc: device id -> its slot on pci.0, for every device vmforge placed there.
  std::map<std::string, std::uint8_t> slots = {};

  friend bool operator==(const PciPins&, const PciPins&) = default;
};

}  // namespace vmforge
