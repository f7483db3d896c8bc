// LowerContext and the placement/step helpers shared by the lowering families.
#include "compiler/lower/context.hpp"
#include "compiler/lower/lower.hpp"

#include <fmt/format.h>

#include "compiler/qmp/ops_chardev.hpp"
#include "compiler/qmp/ops_fd.hpp"

namespace vmforge {
namespace {

struct PciUse {
  const DeviceId* id;
  const Placement* placement;
  bool hot;
};

// Every PCI-capable device, cold ones in argv order and hot ones in plan order (lower.cpp and
// the family files emit them in these orders too, so slot numbers grow along the argv).
std::vector<PciUse> pci_uses(const Vm& vm, const Placement& seed_placement, const DeviceId& seed_id) {
  std::vector<PciUse> uses;
  auto add = [&](const auto& list) {
    for (const auto& d : list) uses.push_back({&d.id, &d.placement, d.hotplug});
  };
  auto add_cold = [&](const auto& list) {
    for (const auto& d : list) uses.push_back({&d.id, &d.placement, false});
  };
  add(vm.scsi_controllers);
  for (const auto& d : vm.disks) {
    if (d.bus == DiskBus::virtio) uses.push_back({&d.id, &d.placement, d.hotplug});
  }
  add(vm.vhost_users);
  add(vm.virtio_serials);
  add(vm.nets);
  add_cold(vm.fs_9p);
  add(vm.virtio_fs);
  for (const auto& d : vm.vfios) {
    if (d.kind == VfioKind::pci) uses.push_back({&d.id, &d.placement, d.hotplug});
  }
  add(vm.vsocks);
  add_cold(vm.balloons);
  add_cold(vm.rngs);
  if (vm.cloud_init) uses.push_back({&seed_id, &seed_placement, false});
  return uses;
}

}  // namespace

Result<PciLayout> layout_of(const Vm& vm) {
  PciRequest req;
  req.family = vm.machine.family;
  req.spare_ports = vm.machine.hotplug_slots;
  if (vm.pci_pins) req.pins = &*vm.pci_pins;
  for (const auto& port : vm.pcie_root_ports) {
    req.taken_chassis_slots.emplace_back(port.chassis, port.slot);
    if (port.addr) {
      req.fixed.push_back(*port.addr);
    } else {
      req.cold.push_back(port.id.str());
    }
  }
  for (const auto& bridge : vm.pci_bridges) {
    if (bridge.bus) continue;
    if (bridge.addr) {
      req.fixed.push_back(*bridge.addr);
    } else {
      req.cold.push_back(bridge.id.str());
    }
  }
  if (vm.machine.vga && *vm.machine.vga != Vga::none) req.cold.push_back(std::string(kVgaId));
  const Placement seed = seed_placement(vm);
  const DeviceId seed_id = vm.cloud_init ? vm.cloud_init->id : DeviceId();
  for (const PciUse& use : pci_uses(vm, seed, seed_id)) {
    const Placement& p = *use.placement;
    if (p.transport != Transport::pci || p.bus) continue;
    if (p.addr) {
      req.fixed.push_back(*p.addr);
    } else if (use.hot) {
      req.hot.push_back(use.id->str());
    } else {
      req.cold.push_back(use.id->str());
    }
  }
  return layout_pci(req);
}

Placement seed_placement(const Vm& vm) {
  Placement placement;
  placement.transport = vm.machine.family == MachineFamily::microvm ? Transport::mmio : Transport::pci;
  return placement;
}

void LowerContext::arg(std::string_view option, std::string value) {
  argv_.emplace_back(option);
  argv_.push_back(std::move(value));
}

void LowerContext::flag(std::string_view option) { argv_.emplace_back(option); }

void LowerContext::kv(std::string_view option, const KvOption& value, std::string_view resource) {
  auto text = value.str();
  if (!text) {
    error(resource, fmt::format("cannot pass this to QEMU's {} option: {}", option, text.error().message));
    return;
  }
  arg(option, std::move(*text));
}

void LowerContext::error(std::string_view resource, std::string message) {
  diagnostics_.error(origin_of(vm_, resource), std::move(message));
}

std::string LowerContext::pass_file(std::string_view resource, PassedFile file) {
  const int fd = first_passed_fd(vm_) + static_cast<int>(files_.size());
  const auto n = static_cast<std::uint64_t>(fd);
  kv("-add-fd", KvOption().add("fd", n).add("set", n).add("opaque", file.path), resource);
  files_.push_back(HostFile{fd, std::move(file)});
  return fmt::format("/dev/fdset/{}", fd);
}

std::int64_t hot_fdset_id(std::string_view key) {
  // FNV-1a, kept to 30 bits above 2^30: QEMU parses "/dev/fdset/N" as an int, and the small
  // sets of Plan::files stay clear.
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : key) hash = (hash ^ c) * 0x100000001b3ull;
  return static_cast<std::int64_t>((1ull << 30) | (hash & ((1ull << 30) - 1)));
}

std::string hot_fdset_path(std::string_view key) { return fmt::format("/dev/fdset/{}", hot_fdset_id(key)); }

namespace {

QmpCall add_fd_call(std::string_view key, PassedFile file) {
  QmpCall call = qmp::add_fd(hot_fdset_id(key), file.path);
  call.file = std::move(file);
  return call;
}

QmpCall remove_fd_call(std::string_view key) { return qmp::remove_fd(hot_fdset_id(key)); }

}  // namespace

PlanStep add_fd_step(const std::string& resource, std::string_view key, PassedFile file) {
  return {resource, add_fd_call(key, std::move(file)), remove_fd_call(key)};
}

PlanStep remove_fd_step(const std::string& resource, std::string_view key, PassedFile reopen) {
  return {resource, remove_fd_call(key), add_fd_call(key, std::move(reopen))};
}

std::string qemu_size(ByteSize size) {
  constexpr std::pair<std::uint64_t, char> kUnits[] = {
      {1ull << 40, 'T'}, {1ull << 30, 'G'}, {1ull << 20, 'M'}, {1ull << 10, 'K'}};
  const std::uint64_t bytes = size.bytes();
  for (const auto& [unit, letter] : kUnits) {
    if (bytes != 0 && bytes % unit == 0) return fmt::format("{}{}", bytes / unit, letter);
  }
  return fmt::format("{}B", bytes);
}

std::string virtio_driver(std::string_view base, Transport transport) {
  switch (transport) {
    case Transport::pci: return fmt::format("{}-pci", base);
    case Transport::ccw: return fmt::format("{}-ccw", base);
    case Transport::mmio: return fmt::format("{}-device", base);
  }
  return std::string(base);
}

qmp::DevicePlacement placement_of(const Vm& vm, const PciLayout& layout, const DeviceId& id,
                                  const Placement& placement) {
  qmp::DevicePlacement p;
  switch (placement.transport) {
    case Transport::pci: {
      if (placement.bus) {
        p.bus = placement.bus->str();
        if (placement.addr) p.addr = placement.addr->to_string();
      } else if (placement.addr) {
        p.bus = layout.root_bus;
        p.addr = placement.addr->to_string();
      } else if (auto cold = layout.cold.find(id.str()); cold != layout.cold.end()) {
        p.bus = layout.root_bus;
        p.addr = cold->second.to_string();
      } else if (auto hot = layout.hot.find(id.str()); hot != layout.hot.end()) {
        p.bus = hot->second.bus;
        if (hot->second.addr) p.addr = hot->second.addr->to_string();
      }
      p.disable_modern = placement.disable_modern;
      p.romfile = placement.romfile;
      break;
    }
    case Transport::ccw:
      p.devno = placement.devno.value_or("");
      p.iommu_platform = vm.knobs.iommu_platform;
      break;
    case Transport::mmio: break;
  }
  return p;
}

void write_placement(JsonWriter& w, const Vm& vm, const PciLayout& layout, const DeviceId& id,
                     const Placement& placement) {
  qmp::write_placement(w, placement_of(vm, layout, id, placement));
}

PlanStep device_add_step(std::string resource, const std::string& id, QmpCall add) {
  return {std::move(resource), std::move(add), qmp::device_del(id)};
}

PlanStep device_del_step(std::string resource, const std::string& id) {
  return {std::move(resource), qmp::device_del(id), std::nullopt};
}

std::vector<PlanStep> chardev_device_plug(const std::string& resource, QmpCall chardev_add, const std::string& chardev,
                                          const std::string& id, QmpCall device_add) {
  return {
      {resource, std::move(chardev_add), qmp::chardev_remove(chardev)},
      device_add_step(resource, id, std::move(device_add)),
  };
}

std::vector<PlanStep> chardev_device_unplug(const std::string& resource, const std::string& chardev,
                                            const std::string& id) {
  return {device_del_step(resource, id), {resource, qmp::chardev_remove(chardev), std::nullopt}};
}

}  // namespace vmforge
