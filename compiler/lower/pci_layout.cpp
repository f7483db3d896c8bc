// Root-bus slot assignment and root-port packing.
#include "compiler/lower/pci_layout.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace vmforge {
namespace {

constexpr std::uint8_t kFunctionsPerSlot = 8;
// Bus numbers are 8 bits; each root port takes one (plus the root bus itself).
constexpr std::size_t kMaxRootPorts = 255;

struct BusShape {
  std::string_view root_bus;
  std::uint8_t first_free_slot;
  std::uint8_t last_free_slot;
};

// q35: 00.0 is the host bridge, 1f.* the ICH9 LPC/SATA/SMBus. pc: 00.0 host bridge, 01.*
// the PIIX3 ISA/IDE/ACPI functions.
std::optional<BusShape> bus_shape(MachineFamily family) {
  switch (family) {
    case MachineFamily::q35: return BusShape{"pcie.0", 0x01, 0x1e};
    case MachineFamily::pc: return BusShape{"pci.0", 0x02, 0x1f};
    case MachineFamily::microvm:
    case MachineFamily::other: return std::nullopt;
  }
  return std::nullopt;
}

class SlotPool {
 public:
  SlotPool(const BusShape& shape, const std::vector<PciAddress>& fixed) : shape_(shape) {
    for (const auto& a : fixed) taken_.insert(a.slot());
  }
  /// Takes `slot` if it is on the bus and free.
  bool take(std::uint8_t slot) {
    return slot >= shape_.first_free_slot && slot <= shape_.last_free_slot && taken_.insert(slot).second;
  }
  std::optional<std::uint8_t> next() {
    for (unsigned s = shape_.first_free_slot; s <= shape_.last_free_slot; ++s) {
      auto slot = static_cast<std::uint8_t>(s);
      if (taken_.insert(slot).second) return slot;
    }
    return std::nullopt;
  }
  std::size_t capacity() const {
    std::size_t n = 0;
    for (unsigned s = shape_.first_free_slot; s <= shape_.last_free_slot; ++s) {
      n += taken_.count(static_cast<std::uint8_t>(s)) == 0 ? 1 : 0;
    }
    return n;
  }

 private:
  BusShape shape_;
  std::set<std::uint8_t> taken_;
};

Error out_of_slots(std::string_view bus, std::size_t wanted, std::size_t free) {
  return Error(fmt::format("the VM needs {} slots on '{}' but only {} are free; use fewer PCI devices "
                           "or put some on a bridge or root port",
                           wanted, bus, free));
}

std::string quoted_list(const std::vector<std::string>& ids) { return fmt::format("'{}'", fmt::join(ids, "', '")); }

// The refusal of pins that do not fit this manifest: what differs, and how to fix it.
Result<void> refuse_pins(const std::vector<std::string>& extra, std::string_view where,
                         const std::vector<std::string>& unpinned, std::string misplaced) {
  if (extra.empty() && unpinned.empty() && misplaced.empty()) return {};
  std::vector<std::string> what;
  if (!extra.empty()) {
    what.push_back(
        fmt::format("the running VM has {} {}, which this manifest does not hot-plug", quoted_list(extra), where));
  }
  if (!unpinned.empty()) {
    what.push_back(fmt::format("this manifest hot-plugs {}, which the running VM lacks", quoted_list(unpinned)));
  }
  if (!misplaced.empty()) what.push_back(std::move(misplaced));
  return unexpected(Error(fmt::format("{}; make the running VM match the manifest first ('vmforge apply FILE' "
                                      "where it runs), then migrate again",
                                      fmt::join(what, "; "))));
}

// q35: every hot device pinned to a distinct port the VM has, and no pin without a hot device.
Result<void> check_pins(const std::vector<std::string>& hot, const PciPins& pins, const std::vector<RootPort>& ports) {
  const std::set<std::string> wanted(hot.begin(), hot.end());
  std::vector<std::string> unpinned, extra, bad_port;
  for (const auto& id : hot) {
    if (!pins.ports.count(id)) unpinned.push_back(id);
  }
  std::set<std::string> taken;
  for (const auto& [id, port] : pins.ports) {
    if (!wanted.count(id)) extra.push_back(id);
    const bool known = std::any_of(ports.begin(), ports.end(), [&](const RootPort& p) { return p.id == port; });
    if (!known || !taken.insert(port).second) bad_port.push_back(fmt::format("{} on {}", id, port));
  }
  return refuse_pins(extra, "on its hotplug root ports", unpinned,
                     bad_port.empty() ? ""
                                      : fmt::format("the running VM's placement names root ports it does not have or "
                                                    "uses twice ({})",
                                                    fmt::join(bad_port, ", ")));
}

// pc: every hot device in the slot the running VM has it in, each slot free here.
Result<void> place_pinned_slots(const std::vector<std::string>& hot, const PciPins& pins, SlotPool& pool,
                                PciLayout& layout) {
  const std::set<std::string> wanted(hot.begin(), hot.end());
  std::vector<std::string> unpinned, extra, taken;
  for (const auto& id : hot) {
    auto pin = pins.slots.find(id);
    if (pin == pins.slots.end()) {
      unpinned.push_back(id);
    } else if (pool.take(pin->second)) {
      layout.hot.emplace(id, HotPlacement{layout.root_bus, PciAddress(pin->second, 0)});
    } else {
      taken.push_back(fmt::format("{} in slot {:#04x}", id, pin->second));
    }
  }
  for (const auto& [id, slot] : pins.slots) {
    if (!wanted.count(id)) extra.push_back(id);
  }
  return refuse_pins(extra, fmt::format("hot-plugged on '{}'", layout.root_bus), unpinned,
                     taken.empty() ? ""
                                   : fmt::format("the running VM's slots are off the bus or taken here by a "
                                                 "cold-plugged device ({})",
                                                 fmt::join(taken, ", ")));
}

}  // namespace

PciPins pins_of(const PciLayout& layout) {
  PciPins pins;
  pins.root_ports = layout.ports.size();
  for (const auto& [id, placement] : layout.hot) {
    if (placement.addr) pins.slots.emplace(id, placement.addr->slot());
    const bool on_port =
        std::any_of(layout.ports.begin(), layout.ports.end(), [&](const RootPort& p) { return p.id == placement.bus; });
    if (on_port) pins.ports.emplace(id, placement.bus);
  }
  return pins;
}

std::vector<std::uint8_t> root_bus_slots(MachineFamily family) {
  std::vector<std::uint8_t> slots;
  if (auto shape = bus_shape(family)) {
    for (unsigned s = shape->first_free_slot; s <= shape->last_free_slot; ++s)
      slots.push_back(static_cast<std::uint8_t>(s));
  }
  return slots;
}

std::string root_port_id(std::size_t n) { return fmt::format("vmforge-rp{}", n); }

Result<PciLayout> layout_pci(const PciRequest& request) {
  PciLayout layout;
  auto shape = bus_shape(request.family);
  if (!shape) return layout;
  layout.root_bus = std::string(shape->root_bus);
  layout.fixed = request.fixed;
  SlotPool pool(*shape, request.fixed);
  const std::size_t free_slots = pool.capacity();

  for (const auto& id : request.cold) {
    auto slot = pool.next();
    if (!slot) return unexpected(out_of_slots(shape->root_bus, request.cold.size(), free_slots));
    layout.cold.emplace(id, PciAddress(*slot, 0));
  }

  if (request.family == MachineFamily::pc) {
    if (request.pins) {
      VMFORGE_TRY_VOID(place_pinned_slots(request.hot, *request.pins, pool, layout));
      return layout;
    }
    for (const auto& id : request.hot) {
      auto slot = pool.next();
      if (!slot) {
        return unexpected(out_of_slots(shape->root_bus, request.cold.size() + request.hot.size(), free_slots));
      }
      layout.hot.emplace(id, HotPlacement{layout.root_bus, PciAddress(*slot, 0)});
    }
    return layout;
  }

  const std::size_t port_count = request.pins ? request.pins->root_ports : request.hot.size() + request.spare_ports;
  if (port_count > kMaxRootPorts) {
    return unexpected(Error(fmt::format("{} root ports do not fit in 255 PCI bus numbers; reserve fewer "
                                        "hotplug slots",
                                        port_count)));
  }
  std::set<std::pair<std::uint8_t, std::uint16_t>> taken(request.taken_chassis_slots.begin(),
                                                         request.taken_chassis_slots.end());
  std::uint16_t next_slot_number = 1;
  std::uint8_t slot = 0;
  for (std::size_t n = 0; n < port_count; ++n) {
    const auto function = static_cast<std::uint8_t>(n % kFunctionsPerSlot);
    if (function == 0) {
      auto s = pool.next();
      if (!s) {
        const std::size_t wanted = request.cold.size() + (port_count + kFunctionsPerSlot - 1) / kFunctionsPerSlot;
        return unexpected(out_of_slots(shape->root_bus, wanted, free_slots));
      }
      slot = *s;
    }
    // Unique (chassis, slot) per port; the slot number also names the hotplug slot in the guest.
    while (taken.count({1, next_slot_number}) != 0) ++next_slot_number;
    RootPort port{root_port_id(n), PciAddress(slot, function), function == 0 && n + 1 < port_count, 1,
                  next_slot_number++};
    layout.ports.push_back(port);
  }
  if (request.pins) {
    VMFORGE_TRY_VOID(check_pins(request.hot, *request.pins, layout.ports));
    for (const auto& [id, port] : request.pins->ports) layout.hot.emplace(id, HotPlacement{port, std::nullopt});
    return layout;
  }
  for (std::size_t i = 0; i < request.hot.size(); ++i) {
    layout.hot.emplace(request.hot[i], HotPlacement{layout.ports[i].id, std::nullopt});
  }
  return layout;
}

}  // namespace vmforge
