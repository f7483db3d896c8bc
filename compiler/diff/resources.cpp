// The resource set a manifest implies: one entry per live-relevant device, with the
// properties observation can compare.
#include "compiler/diff/resources.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/lower/context.hpp"
#include "compiler/lower/io_limits.hpp"
#include "compiler/model/kind_devices.hpp"
#include "compiler/model/model.hpp"

namespace vmforge {
namespace {

std::string_view bool_text(bool b) { return b ? "true" : "false"; }

std::string disk_driver(const Disk& disk) {
  const bool cdrom = disk.media == DiskMedia::cdrom;
  switch (disk.bus) {
    case DiskBus::virtio: return virtio_driver("virtio-blk", disk.placement.transport);
    case DiskBus::scsi: return cdrom ? "scsi-cd" : "scsi-hd";
    case DiskBus::ide: return cdrom ? "ide-cd" : "ide-hd";
  }
  return {};
}

// The netdev type QEMU reports for a backend: the tap family are all "tap" (macvtap and
// friends are taps opened by vmforge and passed as fds).
std::string netdev_type(NetBackend backend) {
  switch (backend) {
    case NetBackend::tap:
    case NetBackend::macvtap:
    case NetBackend::ipvtap:
    case NetBackend::veth_tap: return "tap";
    case NetBackend::user:
    case NetBackend::vhost_user:
    case NetBackend::vfio: return std::string(to_string(backend));
  }
  return {};
}

// What query-balloon reports as `actual` once the guest has followed the target: an empty
// balloon leaves all RAM, memory devices included (QEMU's get_current_ram_size()).
ByteSize balloon_target(const Vm& vm, const Balloon& balloon) {
  if (balloon.target) return *balloon.target;
  std::uint64_t bytes = vm.memory.size.bytes();
  for (const Dimm& dimm : vm.dimms) bytes += dimm.size.bytes();
  for (const Nvdimm& nvdimm : vm.nvdimms) bytes += nvdimm.size.bytes();
  return ByteSize(bytes);
}

Resource make(ResourceKind kind, const DeviceId& id, bool hotplugged) {
  Resource r;
  r.kind = kind;
  r.id = id.str();
  r.hotplugged = hotplugged;
  return r;
}

// Limits as QEMU shows them (every one; unset ones as QEMU's defaults), so a limit set by
// hand shows too.
void add_limits(const IoLimits& limits, Resource& r) {
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    r.props[std::string(kIoLimitNames[i].key)] = std::to_string(limits.effective(i));
  }
}

// The group a disk's backend is in ("none": not throttled); a disk's own limits are its own,
// while a [[throttle_group]]'s are compared on the group.
void add_throttle(const Vm& vm, const Disk& disk, Resource& r) {
  const DiskThrottle throttle = throttle_of(vm, disk);
  r.props["throttle_group"] = throttle.group.value_or(std::string(kNoThrottleGroup));
  if (throttle.group && !disk.throttle_group) add_limits(throttle.limits, r);
}

void add_disks(const Vm& vm, ResourceSet& set) {
  for (const Disk& disk : vm.disks) {
    Resource r = make(ResourceKind::disk, disk.id, disk.hotplug);
    r.props["driver"] = disk_driver(disk);
    r.props["file"] = disk.file;
    // The snapshot layer QEMU writes (README, "Snapshots"); another one needs a new graph.
    if (!disk.layers.empty()) r.props["layer"] = disk.layers.back().file;
    r.props["format"] = to_string(disk.format);
    r.props["readonly"] = bool_text(disk.readonly || disk.media == DiskMedia::cdrom);
    if (disk.serial) r.props["serial"] = *disk.serial;
    if (disk.size) r.props["size"] = std::to_string(disk.size->bytes());
    r.settings["aio"] = to_string(disk.aio);
    r.settings["cache"] = to_string(disk.cache);
    r.settings["share_rw"] = bool_text(disk.share_rw);
    r.settings["discard"] = bool_text(disk.discard);
    if (disk.write_cache) r.settings["write_cache"] = bool_text(*disk.write_cache);
    if (disk.iothread) r.settings["iothread"] = disk.iothread->str();
    if (disk.num_queues) r.settings["num_queues"] = std::to_string(*disk.num_queues);
    if (disk.config_wce) r.settings["config_wce"] = bool_text(*disk.config_wce);
    if (disk.controller) r.settings["controller"] = disk.controller->str();
    if (disk.lun) r.settings["lun"] = std::to_string(*disk.lun);
    add_throttle(vm, disk, r);
    set.add(std::move(r));
  }
}

void add_throttle_groups(const Vm& vm, ResourceSet& set) {
  for (const ThrottleGroup& group : vm.throttle_groups) {
    Resource r = make(ResourceKind::throttle_group, group.id, false);
    add_limits(group.limits, r);
    set.add(std::move(r));
  }
}

void add_nets(const Vm& vm, ResourceSet& set) {
  for (const Net& net : vm.nets) {
    Resource r = make(ResourceKind::net, net.id, net.hotplug);
    if (net.backend == NetBackend::vfio) {
      r.props["driver"] = "vfio-pci";
    } else {
      r.props["driver"] = virtio_driver("virtio-net", net.placement.transport);
      r.props["mac"] = net.mac.to_string();
      r.props["backend"] = netdev_type(net.backend);
      r.props["link"] = net.link_up ? "up" : "down";
      r.settings["queues"] = std::to_string(net.queues);
      r.settings["vhost"] = bool_text(net.vhost);
      if (net.ifname) r.settings["ifname"] = *net.ifname;
      if (net.script) r.settings["script"] = *net.script;
      if (net.downscript) r.settings["downscript"] = *net.downscript;
      if (net.socket) r.settings["socket"] = *net.socket;
      if (!net.hostfwd.empty()) r.settings["hostfwd"] = fmt::format("{}", fmt::join(net.hostfwd, " "));
    }
    if (net.host) r.settings["host"] = net.host->to_string();
    set.add(std::move(r));
  }
}

// Where a port's bytes go: its chardev, which QEMU shows only as a filename string.
void add_char_settings(const Serial& serial, Resource& r) {
  r.settings["backend"] = std::string(to_string(serial.backend));
  if (serial.path) r.settings["path"] = *serial.path;
  if (serial.backend == CharBackend::socket) r.settings["server"] = bool_text(serial.server);
  if (serial.controller) r.settings["controller"] = serial.controller->str();
}

void add_serials(const Vm& vm, ResourceSet& set) {
  for (const Serial& serial : vm.serials) {
    Resource r = make(kind_of(serial), serial.id, serial.hotplug);
    switch (serial.frontend) {
      case SerialFrontend::serial: r.props["driver"] = "isa-serial"; break;
      case SerialFrontend::virtconsole: r.props["driver"] = "virtconsole"; break;
      case SerialFrontend::virtserialport:
        r.props["driver"] = "virtserialport";
        if (serial.name) r.props["name"] = *serial.name;
        break;
    }
    add_char_settings(serial, r);
    set.add(std::move(r));
  }
}

void add_other_devices(const Vm& vm, ResourceSet& set) {
  for (const VirtioFs& fs : vm.virtio_fs) {
    Resource r = make(ResourceKind::fs, fs.id, fs.hotplug);
    r.props["driver"] = virtio_driver("vhost-user-fs", fs.placement.transport);
    r.props["tag"] = fs.tag;
    r.settings["socket"] = fs.socket;
    if (fs.queue_size) r.settings["queue_size"] = std::to_string(*fs.queue_size);
    set.add(std::move(r));
  }
  for (const Vsock& vsock : vm.vsocks) {
    Resource r = make(ResourceKind::vsock, vsock.id, vsock.hotplug);
    r.props["driver"] = virtio_driver("vhost-vsock", vsock.placement.transport);
    r.props["cid"] = fmt::format("{}", vsock.cid);
    set.add(std::move(r));
  }
  for (const Vfio& vfio : vm.vfios) {
    Resource r = make(ResourceKind::vfio, vfio.id, vfio.hotplug);
    if (vfio.host) r.props["host"] = vfio.host->to_string();
    if (vfio.sysfsdev) r.settings["sysfsdev"] = *vfio.sysfsdev;
    if (vfio.vendor_id) r.settings["vendor_id"] = fmt::format("{:#06x}", *vfio.vendor_id);
    if (vfio.device_id) r.settings["device_id"] = fmt::format("{:#06x}", *vfio.device_id);
    set.add(std::move(r));
  }
  for (const Dimm& dimm : vm.dimms) {
    Resource r = make(ResourceKind::dimm, dimm.id, dimm.hotplug);
    r.props["size"] = fmt::format("{}", dimm.size.bytes());
    set.add(std::move(r));
  }
  for (const ScsiController& c : vm.scsi_controllers) {
    Resource r = make(ResourceKind::scsi_controller, c.id, c.hotplug);
    r.props["driver"] = virtio_driver("virtio-scsi", c.placement.transport);
    set.add(std::move(r));
  }
  for (const VirtioSerial& c : vm.virtio_serials) {
    Resource r = make(ResourceKind::virtio_serial, c.id, c.hotplug);
    r.props["driver"] = virtio_driver("virtio-serial", c.placement.transport);
    set.add(std::move(r));
  }
  for (const Balloon& balloon : vm.balloons) {
    Resource r = make(ResourceKind::balloon, balloon.id, false);
    r.props["driver"] = virtio_driver("virtio-balloon", balloon.placement.transport);
    r.props["target"] = balloon_target(vm, balloon).to_string();
    set.add(std::move(r));
  }
}

}  // namespace

void ResourceSet::add(Resource resource) {
  std::string key = resource.key();
  by_key_.insert_or_assign(std::move(key), std::move(resource));
}

const Resource* ResourceSet::find(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

bool ResourceSet::erase(std::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  by_key_.erase(it);
  return true;
}

std::vector<const Resource*> ResourceSet::all() const {
  std::vector<const Resource*> out;
  out.reserve(by_key_.size());
  for (const auto& [key, resource] : by_key_) out.push_back(&resource);
  return out;
}

ResourceSet resources_of(const Vm& vm) {
  ResourceSet set;
  add_disks(vm, set);
  add_throttle_groups(vm, set);
  add_nets(vm, set);
  add_serials(vm, set);
  add_other_devices(vm, set);
  // A manifest describes a freshly started QEMU: every vCPU it has is a boot CPU.
  for (std::uint32_t n = 0; n < vm.cpu.count; ++n) {
    Resource r;
    r.kind = ResourceKind::cpu;
    r.id = fmt::format("{}", n);
    set.add(std::move(r));
  }
  MachineFacts& facts = set.facts();
  facts.hotplug = vm.machine.family == MachineFamily::q35 || vm.machine.family == MachineFamily::pc;
  facts.max_cpus = vm.cpu.max;
  facts.boot_cpus = vm.cpu.count;
  if (vm.machine.family == MachineFamily::q35) {
    // A VM started from this manifest has its hot devices on their ports; the rest are free.
    if (auto layout = layout_of(vm)) {
      std::set<std::string> used;
      for (const auto& [id, placement] : layout->hot) used.insert(placement.bus);
      facts.free_ports.emplace();
      for (const RootPort& port : layout->ports) {
        if (!used.count(port.id)) facts.free_ports->push_back(port.id);
      }
    }
  } else if (vm.machine.family == MachineFamily::pc) {
    // The same on pci.0: its hot devices on their slots, the slots nothing takes free.
    if (auto layout = layout_of(vm)) {
      std::set<std::uint8_t> used;
      for (const auto& [id, address] : layout->cold) used.insert(address.slot());
      for (const PciAddress& address : layout->fixed) used.insert(address.slot());
      for (const auto& [id, slot] : pins_of(*layout).slots) {
        used.insert(slot);
        facts.device_slots.emplace(id, slot);
      }
      facts.free_slots.emplace();
      for (std::uint8_t slot : root_bus_slots(vm.machine.family)) {
        if (!used.count(slot)) facts.free_slots->push_back(slot);
      }
    }
  }
  return set;
}

std::string_view backend_owner(std::string_view backend_name) {
  if (backend_name.starts_with(DeviceId::kReservedPrefix) || backend_name.starts_with("#")) return {};
  const auto dot = backend_name.find('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return backend_name.substr(0, dot);
}

}  // namespace vmforge
