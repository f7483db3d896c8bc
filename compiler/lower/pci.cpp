// Lowering of what other devices plug into: intel-iommu (before any PCI device), PCIe root
// ports (the manifest's and the hotplug reserve), PCI bridges, and the VGA adapter.
#include <fmt/format.h>

#include "compiler/lower/families.hpp"

namespace vmforge {
namespace {

std::string_view vga_driver(Vga vga) {
  switch (vga) {
    case Vga::std: return "VGA";
    case Vga::cirrus: return "cirrus-vga";
    case Vga::vmware: return "vmware-svga";
    case Vga::qxl: return "qxl-vga";
    case Vga::virtio: return "virtio-vga";
    case Vga::none: break;
  }
  return {};
}

void write_root_bus_addr(JsonWriter& w, const PciLayout& layout, const std::string& id,
                         const std::optional<PciAddress>& fixed) {
  if (!layout.root_bus.empty()) w.field("bus", layout.root_bus);
  if (fixed) {
    w.field("addr", fixed->to_string());
  } else if (auto it = layout.cold.find(id); it != layout.cold.end()) {
    w.field("addr", it->second.to_string());
  }
}

void write_reserves(JsonWriter& w, const std::optional<ByteSize>& io, const std::optional<ByteSize>& mem,
                    const std::optional<ByteSize>& pref64) {
  if (io) w.field("io-reserve", io->bytes());
  if (mem) w.field("mem-reserve", mem->bytes());
  if (pref64) w.field("pref64-reserve", pref64->bytes());
}

// QEMU 7.2 aborts (an assertion in pci_register_bar) when a bridge gets an option ROM; only
// "" (no ROM) is safe.
bool bridge_rom_ok(LowerContext& ctx, const DeviceId& id, const std::optional<std::string>& romfile) {
  if (!romfile || romfile->empty()) return true;
  ctx.error(id.str(), fmt::format("'{}' is a PCI bridge: QEMU 7.2 aborts when a bridge or root port has an option "
                                  "ROM; remove 'romfile' or set it to \"\"",
                                  id.str()));
  return false;
}

void lower_root_ports(LowerContext& ctx) {
  const PciLayout& layout = ctx.layout();
  for (const auto& p : ctx.vm().pcie_root_ports) {
    if (!bridge_rom_ok(ctx, p.id, p.romfile)) continue;
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "pcie-root-port").field("id", p.id.str());
              write_root_bus_addr(w, layout, p.id.str(), p.addr);
              if (p.multifunction) w.field("multifunction", true);
              w.field("chassis", unsigned{p.chassis}).field("slot", unsigned{p.slot});
              if (p.bus_reserve) w.field("bus-reserve", *p.bus_reserve);
              write_reserves(w, p.io_reserve, p.mem_reserve, p.pref64_reserve);
              if (p.pref32_reserve) w.field("pref32-reserve", p.pref32_reserve->bytes());
              if (p.romfile) w.field("romfile", *p.romfile);
            }));
  }
  for (const auto& p : layout.ports) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "pcie-root-port").field("id", p.id).field("bus", layout.root_bus);
              w.field("addr", p.addr.to_string());
              if (p.multifunction) w.field("multifunction", true);
              w.field("chassis", unsigned{p.chassis}).field("slot", unsigned{p.slot});
            }));
  }
}

void lower_bridges(LowerContext& ctx) {
  for (const auto& b : ctx.vm().pci_bridges) {
    if (!bridge_rom_ok(ctx, b.id, b.romfile)) continue;
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              const bool pci = b.kind == BridgeKind::pci;
              w.field("driver", pci ? "pci-bridge" : "pcie-pci-bridge").field("id", b.id.str());
              if (b.bus) {
                w.field("bus", b.bus->str());
                if (b.addr) w.field("addr", b.addr->to_string());
              } else {
                write_root_bus_addr(w, ctx.layout(), b.id.str(), b.addr);
              }
              if (pci) w.field("chassis_nr", unsigned{b.chassis}).field("shpc", b.shpc);
              write_reserves(w, b.io_reserve, b.mem_reserve, b.pref64_reserve);
              if (b.romfile) w.field("romfile", *b.romfile);
            }));
  }
}

}  // namespace

void lower_pci(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& iommu : vm.intel_iommus) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "intel-iommu").field("id", iommu.id.str());
              w.field("intremap", iommu.intremap ? "on" : "off");
              w.field("device-iotlb", iommu.device_iotlb).field("caching-mode", iommu.caching_mode);
            }));
  }
  lower_root_ports(ctx);
  lower_bridges(ctx);
  if (vm.machine.vga && *vm.machine.vga != Vga::none) {
    // A -device instead of -vga: it gets an id and a slot from the layout like any device.
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", vga_driver(*vm.machine.vga)).field("id", kVgaId);
              write_root_bus_addr(w, ctx.layout(), std::string(kVgaId), std::nullopt);
            }));
  }
}

}  // namespace vmforge
