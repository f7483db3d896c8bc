// PciLayout: where every PCI device of a VM sits on the root bus, and the pcie-root-ports
// reserved for hotplug on q35 (nothing can be hot-plugged onto pcie.0, qemu-facts §2.1).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/enums.hpp"
#include "compiler/model/pci_pins.hpp"
#include "compiler/model/units.hpp"

namespace vmforge {

/// What the layout is computed from; ids are QEMU device ids, in argv/plan order.
struct PciRequest {
  MachineFamily family = MachineFamily::q35;
  /// Cold-plugged devices on the root bus that have no address of their own.
  std::vector<std::string> cold;
  /// Root-bus addresses the manifest fixes; their slots are not handed out.
  std::vector<PciAddress> fixed;
  /// Devices the boot plan hot-plugs.
  std::vector<std::string> hot;
  /// q35: root ports reserved beyond those the plan uses (`[machine] hotplug_slots`).
  unsigned spare_ports = 0;
  /// (chassis, slot) pairs of root ports the manifest declares itself.
  std::vector<std::pair<std::uint8_t, std::uint16_t>> taken_chassis_slots;
  /// The running VM a migration comes from: on q35 its port count and placement replace
  /// `spare_ports` and the packing of `hot`; on pc its slots replace the packing of `hot`.
  /// Either way `hot`'s ids must be exactly the pinned ones.
  const PciPins* pins = nullptr;
};

struct RootPort {
  std::string id;
  PciAddress addr;
  bool multifunction = false;
  std::uint8_t chassis = 0;
  std::uint16_t slot = 0;
};

/// Where a hot-plugged device goes: a bus, and on pc a fixed slot (q35: addr 0 of its port,
/// which must stay implicit, qemu-facts §2.1).
struct HotPlacement {
  std::string bus;
  std::optional<PciAddress> addr;
};

struct PciLayout {
  /// "pcie.0" (q35), "pci.0" (pc); empty when the machine has no PCI root bus we manage.
  std::string root_bus;
  std::map<std::string, PciAddress> cold;
  /// The request's fixed addresses.
  std::vector<PciAddress> fixed;
  std::vector<RootPort> ports;
  std::map<std::string, HotPlacement> hot;
};

/// Deterministic: q35 packs root ports 8 per root-bus slot (function 0 multifunction) in the
/// slots left after the cold devices; each hot device gets the next port, and `spare_ports`
/// stay free for live additions. pc places hot devices on free slots of pci.0. microvm and
/// other machines get an empty layout. Fails when the root bus runs out of slots or bus numbers,
/// or when pins do not fit the request (a device on one side only, a port the VM lacks).
Result<PciLayout> layout_pci(const PciRequest& request);

/// The pins a VM started with `layout` has before anything is plugged live.
PciPins pins_of(const PciLayout& layout);

/// The root-bus slots vmforge hands out on `family`'s machines, in order (pc: pci.0's 0x02 to
/// 0x1f); empty where it manages no root bus.
std::vector<std::uint8_t> root_bus_slots(MachineFamily family);

/// Id of the n-th generated root port: "vmforge-rp<n>".
std::string root_port_id(std::size_t n);

}  // namespace vmforge
