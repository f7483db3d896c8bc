// I/O limits as throttle groups that disks' BlockBackends join.
#include "compiler/lower/io_limits.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/model/kind_devices.hpp"
#include "compiler/qmp/ops_memory.hpp"

namespace vmforge {
namespace {

// Every limit with its value (unset ones as QEMU's defaults, so that setting them lifts
// what is unset), by the name given.
qmp::ThrottleLimits all_limits(const IoLimits& limits, std::string_view IoLimitName::*name) {
  qmp::ThrottleLimits out;
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    out.emplace_back(kIoLimitNames[i].*name, limits.effective(i));
  }
  return out;
}

// The QOM path of the device holding a disk's BlockBackend: a virtio proxy's (PCI, CCW)
// "virtio-backend" child (QEMU refuses the proxy), else the disk's device itself.
std::string backend_device(const Disk& disk) {
  const bool proxy = disk.bus == DiskBus::virtio && disk.placement.transport != Transport::mmio;
  return fmt::format("/machine/peripheral/{}{}", disk.id.str(), proxy ? "/virtio-backend" : "");
}

QmpCall set_throttle(const Disk& disk, const DiskThrottle& throttle) {
  const std::string device = backend_device(disk);
  // Without a group every limit is 0, which takes the backend out of its group.
  if (!throttle.group) return qmp::block_set_io_throttle(device, all_limits({}, &IoLimitName::legacy), std::nullopt);
  return qmp::block_set_io_throttle(device, all_limits(throttle.limits, &IoLimitName::legacy), *throttle.group);
}

std::string group_resource(std::string_view id) {
  return ResourceKey{ResourceKind::throttle_group, std::string(id)}.str();
}

}  // namespace

qmp::ThrottleLimits set_limits(const IoLimits& limits) {
  qmp::ThrottleLimits out;
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    if (limits.values[i]) out.emplace_back(kIoLimitNames[i].qemu, *limits.values[i]);
  }
  return out;
}

DiskThrottle throttle_of(const Vm& vm, const Disk& disk) {
  if (disk.throttle_group) {
    auto group = std::find_if(vm.throttle_groups.begin(), vm.throttle_groups.end(),
                              [&](const ThrottleGroup& g) { return g.id == *disk.throttle_group; });
    // A group without limits throttles nothing, and QEMU puts no backend in one.
    if (group == vm.throttle_groups.end() || !group->limits.any()) return {};
    return {group->id.str(), group->limits};
  }
  if (!disk.limits.any()) return {};
  return {disk.id.derived("group"), disk.limits};
}

std::string active_node(const Disk& disk) {
  return disk.layers.empty() ? disk.id.derived("fmt") : disk.layers.back().node;
}

PlanStep throttle_step(const Disk& disk, const DiskThrottle& want, const std::optional<DiskThrottle>& previous) {
  std::optional<QmpCall> undo;
  if (previous) undo = set_throttle(disk, *previous);
  return {resource_name(ResourceKind::disk, disk.id), set_throttle(disk, want), std::move(undo)};
}

std::optional<PlanStep> initial_throttle_step(const Vm& vm, const Disk& disk) {
  const DiskThrottle throttle = throttle_of(vm, disk);
  if (!throttle.group) return std::nullopt;
  return throttle_step(disk, throttle, DiskThrottle{});
}

std::optional<PlanStep> lift_throttle_step(const Disk& disk) {
  // Limits of its own or a group's (one without limits leaves the disk as it is: lifting then
  // changes nothing).
  if (!disk.limits.any() && !disk.throttle_group) return std::nullopt;
  return throttle_step(disk, {}, std::nullopt);
}

PlanStep set_limits_step(std::string_view id, const IoLimits& limits, const IoLimits& previous) {
  return {group_resource(id), qmp::throttle_group_set_limits(id, all_limits(limits, &IoLimitName::qemu)),
          qmp::throttle_group_set_limits(id, all_limits(previous, &IoLimitName::qemu))};
}

PlanStep add_group_step(std::string_view id, const IoLimits& limits) {
  return {group_resource(id), qmp::object_add_throttle_group({std::string(id), set_limits(limits)}),
          qmp::object_del(id)};
}

PlanStep delete_group_step(std::string_view id, const IoLimits& limits) {
  return {group_resource(id), qmp::object_del(id),
          qmp::object_add_throttle_group({std::string(id), set_limits(limits)})};
}

}  // namespace vmforge
