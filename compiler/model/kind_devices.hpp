// The Vm member that holds the devices of each kind: the kind table's column the compiler
// checks by type (resource_kind.hpp has the rest).
#pragma once

#include "compiler/model/model.hpp"
#include "compiler/model/resource_kind.hpp"

namespace vmforge {

/// What with_devices() passes for a kind no Vm list holds (CPUs, backends).
struct NoDevices {};

/// fn(vm.disks) for disks, fn(vm.serials) for serial/console/channel, ..., fn(NoDevices{}) for
/// the kinds without a list. `V` is Vm or const Vm.
template <class V, class Fn>
decltype(auto) with_devices(V& vm, ResourceKind kind, Fn&& fn) {
  switch (kind) {
    case ResourceKind::disk: return fn(vm.disks);
    case ResourceKind::net: return fn(vm.nets);
    case ResourceKind::serial:
    case ResourceKind::console:
    case ResourceKind::channel: return fn(vm.serials);
    case ResourceKind::vsock: return fn(vm.vsocks);
    case ResourceKind::fs: return fn(vm.virtio_fs);
    case ResourceKind::vfio: return fn(vm.vfios);
    case ResourceKind::dimm: return fn(vm.dimms);
    case ResourceKind::balloon: return fn(vm.balloons);
    case ResourceKind::scsi_controller: return fn(vm.scsi_controllers);
    case ResourceKind::virtio_serial: return fn(vm.virtio_serials);
    case ResourceKind::vhost_user: return fn(vm.vhost_users);
    case ResourceKind::throttle_group: return fn(vm.throttle_groups);
    case ResourceKind::cpu:
    case ResourceKind::node:
    case ResourceKind::chardev:
    case ResourceKind::netdev:
    case ResourceKind::object: break;
  }
  NoDevices none;
  return fn(none);
}

/// "disk:data1": the plan's resource name of device `id` of `kind`.
std::string resource_name(ResourceKind kind, const DeviceId& id);

/// A [[serial]]'s kind follows its frontend: serial (16550), console, channel.
ResourceKind kind_of(const Serial& serial);

}  // namespace vmforge
