// Validation of device placement (transport, PCI bus/address, CCW devno), hotplug eligibility,
// and the PCI topology tables [[pcie_root_port]], [[pci_bridge]] and [[intel_iommu]].
#include <set>
#include <utility>

#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// CCW device number "cssid.ssid.devno": "fe.0.1234".
bool is_devno(std::string_view text) {
  auto first = text.find('.');
  auto second = text.find('.', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  std::string_view cssid = text.substr(0, first);
  std::string_view ssid = text.substr(first + 1, second - first - 1);
  std::string_view devno = text.substr(second + 1);
  auto all_hex = [](std::string_view s) {
    for (char c : s) {
      if (!is_hex(c)) return false;
    }
    return !s.empty();
  };
  return all_hex(cssid) && cssid.size() <= 2 && ssid.size() == 1 && ssid[0] >= '0' && ssid[0] <= '3' &&
         all_hex(devno) && devno.size() == 4;
}

std::optional<PciAddress> read_pci_addr(const Fields& f) {
  auto text = f.text("pci_addr");
  if (!text) return std::nullopt;
  auto addr = PciAddress::parse(*text);
  if (!addr) {
    f.error("pci_addr", fmt::format("{}: {}", f.owner(), addr.error().message));
    return std::nullopt;
  }
  return *addr;
}

std::optional<ByteSize> read_reserve(const Fields& f, std::string_view key) { return f.size(key); }

void validate_root_ports(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> taken;
  for_each_table(root, "pcie_root_port", ctx, [&](Fields& f) {
    PcieRootPort port;
    port.id = read_device_id(f, "pcie_root_port", vm);
    if (vm.machine.family != MachineFamily::q35) {
      f.error("id", fmt::format("{}: pcie-root-port needs a PCI Express machine (q35), not '{}'", f.owner(),
                                vm.machine.type));
    }
    port.chassis = static_cast<std::uint8_t>(f.number_or_default("chassis"));
    port.slot = static_cast<std::uint16_t>(f.number_or_default("slot"));
    if (!taken.emplace(port.chassis, port.slot).second) {
      f.error(f.has("slot") ? "slot" : "id",
              fmt::format("{}: another root port already uses chassis {} slot {}; each (chassis, slot) pair must be "
                          "unique",
                          f.owner(), port.chassis, port.slot));
    }
    port.addr = read_pci_addr(f);
    port.multifunction = f.flag_or_default("multifunction");
    if (auto reserve = f.number("bus_reserve")) port.bus_reserve = static_cast<std::uint32_t>(*reserve);
    port.io_reserve = read_reserve(f, "io_reserve");
    port.mem_reserve = read_reserve(f, "mem_reserve");
    port.pref32_reserve = read_reserve(f, "pref32_reserve");
    port.pref64_reserve = read_reserve(f, "pref64_reserve");
    if (f.has("pref32_reserve") && f.has("pref64_reserve")) {
      f.error("pref64_reserve", fmt::format("{}: set 'pref32_reserve' or 'pref64_reserve', not both", f.owner()));
    }
    port.romfile = f.text("romfile");
    vm.pcie_root_ports.push_back(std::move(port));
  });
}

void validate_bridges(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  std::set<std::uint64_t> chassis_taken;
  for_each_table(root, "pci_bridge", ctx, [&](Fields& f) {
    PciBridge bridge;
    bridge.id = read_device_id(f, "pci_bridge", vm);
    bridge.kind = f.choice_or_default<BridgeKind>("type");
    bool pci = bridge.kind == BridgeKind::pci;
    f.only_if(pci, "chassis", "type 'pci'");
    f.only_if(pci, "shpc", "type 'pci'");
    if (!machine_has_pci(vm.machine)) {
      f.error("id", fmt::format("{}: machine '{}' has no PCI bus", f.owner(), vm.machine.type));
    } else if (!pci && vm.machine.family != MachineFamily::q35) {
      f.error("type", fmt::format("{}: a pcie-pci bridge needs a PCI Express machine (q35)", f.owner()));
    }
    if (pci && f.require("chassis")) {
      if (auto chassis = f.number("chassis")) {
        bridge.chassis = static_cast<std::uint8_t>(*chassis);
        if (!chassis_taken.insert(*chassis).second) {
          f.error("chassis", fmt::format("{}: another pci bridge already uses chassis {}", f.owner(), *chassis));
        }
      }
    }
    bridge.shpc = f.flag_or_default("shpc");
    bridge.bus = f.ref("pci_bus", {"pcie_root_port", "pci_bridge"});
    bridge.addr = read_pci_addr(f);
    bridge.io_reserve = read_reserve(f, "io_reserve");
    bridge.mem_reserve = read_reserve(f, "mem_reserve");
    bridge.pref64_reserve = read_reserve(f, "pref64_reserve");
    bridge.romfile = f.text("romfile");
    vm.pci_bridges.push_back(std::move(bridge));
  });
}

}  // namespace

bool is_s390(const Machine& machine) { return machine.type.substr(0, 15) == "s390-ccw-virtio"; }

Transport default_transport(const Machine& machine) {
  if (machine.family == MachineFamily::microvm) return Transport::mmio;
  if (is_s390(machine)) return Transport::ccw;
  return Transport::pci;
}

Placement read_placement(const Fields& f, const Vm& vm, std::optional<Transport> fixed) {
  Placement p;
  p.transport = fixed ? *fixed : f.choice<Transport>("transport").value_or(default_transport(vm.machine));
  const Machine& m = vm.machine;
  // A device that fixes its transport (VFIO) is no virtio device: no 'transport', no 'disable_modern'.
  const bool virtio = !fixed;
  if (virtio && f.has("transport")) {
    if (p.transport == Transport::mmio && m.family != MachineFamily::microvm && m.family != MachineFamily::other) {
      f.error("transport", fmt::format("{}: transport 'mmio' needs a virtio-mmio machine such as microvm, not '{}'",
                                       f.owner(), m.type));
    } else if (p.transport == Transport::ccw && !is_s390(m)) {
      f.error("transport",
              fmt::format("{}: transport 'ccw' needs an s390x machine (s390-ccw-virtio), not '{}'", f.owner(), m.type));
    } else if (p.transport == Transport::pci && !machine_has_pci(m)) {
      f.error("transport",
              fmt::format("{}: machine '{}' has no PCI bus (set [machine.options] pcie = \"on\")", f.owner(), m.type));
    }
  }
  bool pci = p.transport == Transport::pci;
  f.only_if(pci, "pci_bus", "the 'pci' transport");
  f.only_if(pci, "pci_addr", "the 'pci' transport");
  if (virtio) f.only_if(pci, "disable_modern", "the 'pci' transport");
  f.only_if(pci, "romfile", "the 'pci' transport");
  f.only_if(p.transport == Transport::ccw, "devno", "the 'ccw' transport");
  if (pci) {
    p.bus = f.ref("pci_bus", {"pcie_root_port", "pci_bridge"});
    p.addr = read_pci_addr(f);
    if (virtio) p.disable_modern = f.flag_or_default("disable_modern");
    p.romfile = f.text("romfile");
  }
  if (auto devno = f.text("devno"); devno && p.transport == Transport::ccw) {
    if (!is_devno(*devno)) {
      f.error("devno", fmt::format("{}: {} is not a CCW device number; use 'CSSID.SSID.DEVNO' like 'fe.0.1234'",
                                   f.owner(), quote_text(*devno)));
    }
    p.devno = *devno;
  }
  return p;
}

bool read_hotplug(const Fields& f, const Vm& vm, Transport transport) {
  bool hotplug = f.flag_or_default("hotplug");
  if (!hotplug) return false;
  if (vm.machine.family == MachineFamily::microvm) {
    f.error("hotplug", fmt::format("{}: hot-plug is not possible on microvm; every device must be in the command "
                                   "line (remove 'hotplug')",
                                   f.owner()));
  } else if (transport != Transport::pci) {
    f.error("hotplug",
            fmt::format("{}: hot-plug needs the 'pci' transport, not '{}'", f.owner(), to_string(transport)));
  }
  return true;
}

void require_shared_memory(const Fields& f, const Vm& vm) {
  const MemoryBackend& b = vm.memory.backend;
  if (b.shared && b.kind != MemoryBackendKind::ram) return;
  f.error("id", fmt::format("{}: vhost-user back ends map guest memory; set [memory] backend = \"memfd\" (or "
                            "\"file\") and shared = true",
                            f.owner()));
}

void validate_pci(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  validate_root_ports(root, ctx, vm);
  validate_bridges(root, ctx, vm);
}

void validate_intel_iommu(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  std::size_t iommus = 0;
  for_each_table(root, "intel_iommu", ctx, [&](Fields& f) {
    IntelIommu i;
    i.id = read_device_id(f, "intel_iommu", vm);
    at_most_one(f, iommus, "intel_iommu");
    if (vm.machine.family != MachineFamily::q35) {
      f.error("id", fmt::format("{}: intel-iommu needs a q35 machine, not '{}'", f.owner(), vm.machine.type));
    }
    i.intremap = f.flag_or_default("intremap");
    i.device_iotlb = f.flag_or_default("device_iotlb");
    i.caching_mode = f.flag_or_default("caching_mode");
    vm.intel_iommus.push_back(std::move(i));
  });
}

}  // namespace vmforge
