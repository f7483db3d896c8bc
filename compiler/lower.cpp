// lower(): the frozen argv in family order plus the boot plan; plug_steps()/unplug_steps():
// the per-resource builders shared by the boot plan and live changes.
#include <charconv>
#include <type_traits>

#include <fmt/format.h>

#include "compiler/live_steps.hpp"
#include "compiler/lower_families.hpp"

namespace vmforge {
namespace {

struct ResourceName {
  std::string_view kind;
  std::string_view id;
};

std::optional<ResourceName> split_resource(std::string_view resource) {
  auto colon = resource.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == resource.size()) return std::nullopt;
  return ResourceName{resource.substr(0, colon), resource.substr(colon + 1)};
}

template <class List>
auto find_device(const List& list, std::string_view id) -> const typename List::value_type* {
  for (const auto& d : list) {
    if (d.id.str() == id) return &d;
  }
  return nullptr;
}

// The boot plan: every hot-pluggable device marked `hotplug = true`, parents before children
// (controllers before the disks and ports on them), plus NICs that start with the link down
// and the balloon's target (QEMU takes it while paused; the guest inflates once its driver runs).
std::vector<PlanStep> boot_steps(const Vm& vm, const PciLayout& layout) {
  std::vector<PlanStep> steps;
  auto append = [&](std::vector<PlanStep> more) {
    for (auto& s : more) steps.push_back(std::move(s));
  };
  for (const auto& c : vm.scsi_controllers) if (c.hotplug) append(scsi_controller_plug(vm, layout, c));
  for (const auto& d : vm.disks) if (d.hotplug) append(disk_plug(vm, layout, d));
  for (const auto& d : vm.vhost_users) if (d.hotplug) append(vhost_user_plug(vm, layout, d));
  for (const auto& c : vm.virtio_serials) if (c.hotplug) append(virtio_serial_plug(vm, layout, c));
  for (const auto& s : vm.serials) if (s.hotplug) append(serial_plug(s));
  for (const auto& n : vm.nets) append(n.hotplug ? net_plug(vm, layout, n) : net_link_steps(n));
  for (const auto& f : vm.virtio_fs) if (f.hotplug) append(virtio_fs_plug(vm, layout, f));
  for (const auto& v : vm.vfios) if (v.hotplug) append(vfio_plug(vm, layout, v));
  for (const auto& v : vm.vsocks) if (v.hotplug) append(vsock_plug(vm, layout, v));
  for (const auto& d : vm.dimms) if (d.hotplug) append(dimm_plug(d));
  // Last: the target is relative to all RAM, DIMMs included.
  for (const auto& b : vm.balloons) if (b.target) steps.push_back(balloon_step(b.id.str(), b.target->bytes(), std::nullopt));
  return steps;
}

Error not_found(std::string_view resource) {
  return Error(fmt::format("'{}' is not a hot-pluggable device of this manifest", resource));
}

Error not_hotplug(std::string_view resource) {
  return Error(fmt::format("'{}' has hotplug = false: it is part of the QEMU command line, so adding or "
                           "removing it needs a restart",
                           resource));
}

Result<std::uint32_t> cpu_slot(const Vm& vm, std::string_view resource, std::string_view id) {
  std::uint32_t slot = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), slot);
  if (ec != std::errc() || end != id.data() + id.size() || slot >= vm.cpu.max) return unexpected(not_found(resource));
  if (slot < vm.cpu.count) return unexpected(not_hotplug(resource));
  return slot;
}

// Finds the hot-pluggable device `resource` names ("disk:ID", "cpu:N") and hands it to `fn`.
template <class Fn>
Result<std::vector<PlanStep>> with_device(const Vm& vm, std::string_view resource, Fn&& fn) {
  auto name = split_resource(resource);
  if (!name) return unexpected(not_found(resource));
  auto dispatch = [&](const auto* device) -> Result<std::vector<PlanStep>> {
    if (device == nullptr) return unexpected(not_found(resource));
    if (!device->hotplug) return unexpected(not_hotplug(resource));
    return fn(*device);
  };
  const std::string_view kind = name->kind;
  const std::string_view id = name->id;
  if (kind == "disk") return dispatch(find_device(vm.disks, id));
  if (kind == "net") return dispatch(find_device(vm.nets, id));
  if (kind == "serial" || kind == "console" || kind == "channel") return dispatch(find_device(vm.serials, id));
  if (kind == "vsock") return dispatch(find_device(vm.vsocks, id));
  if (kind == "fs") return dispatch(find_device(vm.virtio_fs, id));
  if (kind == "vfio") return dispatch(find_device(vm.vfios, id));
  if (kind == "dimm") return dispatch(find_device(vm.dimms, id));
  if (kind == "scsi_controller") return dispatch(find_device(vm.scsi_controllers, id));
  if (kind == "virtio_serial") return dispatch(find_device(vm.virtio_serials, id));
  if (kind == "vhost_user") return dispatch(find_device(vm.vhost_users, id));
  if (kind == "cpu") {
    VMFORGE_TRY(const std::uint32_t slot, cpu_slot(vm, resource, id));
    return fn(slot);
  }
  return unexpected(not_found(resource));
}

}  // namespace

Result<Plan, Diagnostics> lower(const Vm& vm) {
  auto layout = layout_of(vm);
  if (!layout) {
    Diagnostics diagnostics;
    diagnostics.error(origin_of(vm, "machine"), layout.error().message);
    return unexpected(std::move(diagnostics));
  }
  LowerContext ctx(vm, *layout);
  lower_machine(ctx);
  lower_process(ctx);
  lower_buses(ctx);
  lower_block(ctx);
  lower_char(ctx);
  lower_net(ctx);
  lower_fs(ctx);
  lower_misc(ctx);
  lower_memory(ctx);
  lower_extra(ctx);
  Diagnostics diagnostics = ctx.take_diagnostics();
  if (diagnostics.has_errors()) {
    diagnostics.sort();
    return unexpected(std::move(diagnostics));
  }
  return Plan{vm.name, vm.qemu.binary, vm.source_sha256, ctx.take_argv(), boot_steps(vm, *layout), ctx.take_files()};
}

Result<std::vector<PlanStep>> plug_steps(const Vm& vm, std::string_view resource) {
  VMFORGE_TRY(const PciLayout layout, layout_of(vm));
  return with_device(vm, resource, [&](const auto& device) -> std::vector<PlanStep> {
    using T = std::decay_t<decltype(device)>;
    if constexpr (std::is_same_v<T, Disk>) return disk_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, Net>) return net_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, Serial>) return serial_plug(device);
    else if constexpr (std::is_same_v<T, Vsock>) return vsock_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, VirtioFs>) return virtio_fs_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, Vfio>) return vfio_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, Dimm>) return dimm_plug(device);
    else if constexpr (std::is_same_v<T, ScsiController>) return scsi_controller_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, VirtioSerial>) return virtio_serial_plug(vm, layout, device);
    else if constexpr (std::is_same_v<T, VhostUser>) return vhost_user_plug(vm, layout, device);
    else return cpu_plug(vm, device);
  });
}

Result<std::vector<PlanStep>> unplug_steps(const Vm& vm, std::string_view resource) {
  return with_device(vm, resource, [&](const auto& device) -> std::vector<PlanStep> {
    using T = std::decay_t<decltype(device)>;
    if constexpr (std::is_same_v<T, Disk>) return disk_unplug(device);
    else if constexpr (std::is_same_v<T, Net>) return net_unplug(device);
    else if constexpr (std::is_same_v<T, Serial>) return serial_unplug(device);
    else if constexpr (std::is_same_v<T, Vsock>) return vsock_unplug(device);
    else if constexpr (std::is_same_v<T, VirtioFs>) return virtio_fs_unplug(device);
    else if constexpr (std::is_same_v<T, Vfio>) return vfio_unplug(device);
    else if constexpr (std::is_same_v<T, Dimm>) return dimm_unplug(device);
    else if constexpr (std::is_same_v<T, ScsiController>) return scsi_controller_unplug(device);
    else if constexpr (std::is_same_v<T, VirtioSerial>) return virtio_serial_unplug(device);
    else if constexpr (std::is_same_v<T, VhostUser>) return vhost_user_unplug(device);
    else return cpu_unplug(device);
  });
}

}  // namespace vmforge
