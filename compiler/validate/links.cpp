// The last validation pass: references between tables, controllers chosen by default, and
// rules that span several devices (unique fds/MACs/CIDs/boot indexes, hot-plug parents).
#include <map>
#include <set>

#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

constexpr std::size_t kMaxIsaSerials = 4;
constexpr std::string_view kDefaultVirtioSerial = "vmforge-vser";

void error_at(ValidateContext& ctx, const Vm& vm, const DeviceId& id, std::string message) {
  ctx.error(origin_of(vm, id.str()), std::move(message));
}

/// `device` (a disk or a port, `noun` in the hint) is in the command line, so its controller
/// must be too: QEMU could not start it on one that is plugged only later.
template <class Device, class Controller>
void check_cold_on_hot(ValidateContext& ctx, const Vm& vm, const Device& device,
                       const std::vector<Controller>& controllers, std::string_view kind, std::string_view noun) {
  for (const Controller& c : controllers) {
    if (c.id == *device.controller && c.hotplug && !device.hotplug) {
      error_at(ctx, vm, device.id,
               fmt::format("{} '{}' is in the command line, but its controller '{}' is "
                           "hot-plugged; set hotplug = true on the {} too",
                           kind, device.id.str(), c.id.str(), noun));
    }
  }
}

/// A scsi disk without 'controller' goes on the only [[scsi_controller]].
void resolve_scsi_controllers(ValidateContext& ctx, Vm& vm) {
  for (Disk& d : vm.disks) {
    if (d.bus != DiskBus::scsi) continue;
    if (!d.controller) {
      if (vm.scsi_controllers.size() == 1) {
        d.controller = vm.scsi_controllers.front().id;
      } else if (vm.scsi_controllers.empty()) {
        error_at(ctx, vm, d.id,
                 fmt::format("disk '{}' has bus 'scsi', but there is no [[scsi_controller]]", d.id.str()));
        continue;
      } else {
        error_at(ctx, vm, d.id,
                 fmt::format("disk '{}': there are {} [[scsi_controller]]s; choose one with "
                             "'controller'",
                             d.id.str(), vm.scsi_controllers.size()));
        continue;
      }
    }
    check_cold_on_hot(ctx, vm, d, vm.scsi_controllers, "disk", "disk");
  }
}

/// virtconsole/virtserialport ports go on the only [[virtio_serial]], or on one vmforge adds.
void resolve_virtio_serial(ValidateContext& ctx, Vm& vm) {
  std::size_t declared = vm.virtio_serials.size();
  std::size_t isa = 0;
  for (Serial& s : vm.serials) {
    if (s.frontend == SerialFrontend::serial) {
      if (++isa > kMaxIsaSerials) {
        error_at(ctx, vm, s.id,
                 fmt::format("serial '{}': a machine has at most {} legacy serial ports; use "
                             "frontend 'virtconsole' for more",
                             s.id.str(), kMaxIsaSerials));
      }
      continue;
    }
    if (!s.controller) {
      if (declared > 1) {
        error_at(ctx, vm, s.id,
                 fmt::format("serial '{}': there are {} [[virtio_serial]] controllers; choose one "
                             "with 'controller'",
                             s.id.str(), declared));
        continue;
      }
      if (vm.virtio_serials.empty()) {
        VirtioSerial added;
        added.id = DeviceId(std::string(kDefaultVirtioSerial));
        added.placement.transport = default_transport(vm.machine);
        vm.virtio_serials.push_back(std::move(added));
      }
      s.controller = vm.virtio_serials.front().id;
    }
    check_cold_on_hot(ctx, vm, s, vm.virtio_serials, "serial", "port");
  }
}

/// IDE/AHCI has a fixed number of units: 6 AHCI ports on q35, 2 buses x 2 units on pc.
void check_ide_units(ValidateContext& ctx, const Vm& vm) {
  std::size_t limit = vm.machine.family == MachineFamily::q35 ? 6 : 4;
  std::size_t used = 0;
  for (const Disk& d : vm.disks) {
    if (d.bus != DiskBus::ide) continue;
    if (++used > limit) {
      error_at(ctx, vm, d.id,
               fmt::format("disk '{}': machine '{}' has only {} IDE units", d.id.str(), vm.machine.type, limit));
    }
  }
}

/// Each pre-opened fd can be handed to QEMU once.
void check_fds(ValidateContext& ctx, const Vm& vm) {
  std::map<int, std::string> owners;
  auto claim = [&](int fd, const SourceLoc& loc, const std::string& owner) {
    auto [it, inserted] = owners.emplace(fd, owner);
    if (!inserted) {
      ctx.error(loc, fmt::format("{}: fd {} is already given to {}", owner, fd, it->second));
    }
  };
  if (vm.incoming && vm.incoming->kind == IncomingKind::fd && vm.incoming->fd >= 0) {
    claim(vm.incoming->fd, origin_of(vm, "incoming"), "[incoming]");
  }
  for (const Net& n : vm.nets) {
    for (int fd : n.fds) claim(fd, origin_of(vm, n.id.str()), fmt::format("net '{}'", n.id.str()));
    for (int fd : n.vhost_fds) claim(fd, origin_of(vm, n.id.str()), fmt::format("net '{}'", n.id.str()));
  }
  for (const Vsock& v : vm.vsocks) {
    if (v.vhost_fd) claim(*v.vhost_fd, origin_of(vm, v.id.str()), fmt::format("vsock '{}'", v.id.str()));
  }
}

void check_unique_values(ValidateContext& ctx, const Vm& vm) {
  std::map<MacAddr, DeviceId> macs;
  for (const Net& n : vm.nets) {
    auto [it, inserted] = macs.emplace(n.mac, n.id);
    if (!inserted) {
      error_at(ctx, vm, n.id,
               fmt::format("net '{}': MAC address {} is also used by net '{}'", n.id.str(), n.mac.to_string(),
                           it->second.str()));
    }
  }
  std::map<std::uint32_t, DeviceId> cids;
  for (const Vsock& v : vm.vsocks) {
    if (v.cid == kNoCid) continue;
    auto [it, inserted] = cids.emplace(v.cid, v.id);
    if (!inserted) {
      error_at(ctx, vm, v.id,
               fmt::format("vsock '{}': cid {} is also used by vsock '{}'", v.id.str(), v.cid, it->second.str()));
    }
  }
  std::map<std::uint32_t, DeviceId> boot;
  auto boot_index = [&](const DeviceId& id, const std::optional<std::uint32_t>& index, std::string_view kind) {
    if (!index) return;
    auto [it, inserted] = boot.emplace(*index, id);
    if (!inserted) {
      error_at(ctx, vm, id,
               fmt::format("{} '{}': boot_index {} is also used by '{}'", kind, id.str(), *index, it->second.str()));
    }
  };
  for (const Disk& d : vm.disks) boot_index(d.id, d.boot_index, "disk");
  for (const VhostUser& v : vm.vhost_users) boot_index(v.id, v.boot_index, "vhost_user");
}

/// On q35 a device behind a pcie-root-port must sit at slot 0 of the port, or the guest never
/// sees it (qemu-facts §2.1).
void check_root_port_slots(ValidateContext& ctx, const Vm& vm, const DeviceId& id, const Placement& p) {
  if (!p.bus || !p.addr || p.addr->slot() == 0) return;
  for (const PcieRootPort& port : vm.pcie_root_ports) {
    if (port.id == *p.bus) {
      error_at(ctx, vm, id,
               fmt::format("'{}' sits on root port '{}', where only slot 0 works; drop 'pci_addr' or "
                           "use slot 0",
                           id.str(), port.id.str()));
    }
  }
}

void check_placements(ValidateContext& ctx, const Vm& vm) {
  auto check = [&](const auto& devices) {
    for (const auto& d : devices) check_root_port_slots(ctx, vm, d.id, d.placement);
  };
  check(vm.disks);
  check(vm.scsi_controllers);
  check(vm.nets);
  check(vm.virtio_serials);
  check(vm.fs_9p);
  check(vm.virtio_fs);
  check(vm.vhost_users);
  check(vm.vfios);
  check(vm.vsocks);
  check(vm.balloons);
  check(vm.rngs);
}

}  // namespace

void validate_links(ValidateContext& ctx, Vm& vm) {
  ctx.check_refs();
  resolve_scsi_controllers(ctx, vm);
  resolve_virtio_serial(ctx, vm);
  check_ide_units(ctx, vm);
  check_fds(ctx, vm);
  check_unique_values(ctx, vm);
  check_placements(ctx, vm);
}

}  // namespace vmforge
