// lower(): the frozen argv in family order plus the boot plan; plug_steps()/unplug_steps():
// the per-resource builders shared by the boot plan and live changes.
#include <charconv>
#include <type_traits>

#include <fmt/format.h>

#include "compiler/lower/families.hpp"
#include "compiler/lower/io_limits.hpp"
#include "compiler/lower/live_steps.hpp"
#include "compiler/lower/lower.hpp"

namespace vmforge {
namespace {

template <class List>
auto find_device(const List& list, std::string_view id) -> const typename List::value_type* {
  for (const auto& d : list) {
    if (d.id.str() == id) return &d;
  }
  return nullptr;
}

// The boot plan: every hot-pluggable device marked `hotplug = true`, parents before children
// (controllers before the disks and ports on them), plus the I/O limits of the argv's disks,
// NICs that start with the link down and the balloon's target (QEMU takes it while paused; the
// guest inflates once its driver runs).
std::vector<PlanStep> boot_steps(const Vm& vm, const PciLayout& layout) {
  std::vector<PlanStep> steps;
  auto append = [&](std::vector<PlanStep> more) {
    for (auto& s : more) steps.push_back(std::move(s));
  };
  auto plug_hot = [&](const auto& devices) {
    for (const auto& d : devices) {
      if (d.hotplug) append(plug(vm, layout, d));
    }
  };
  plug_hot(vm.scsi_controllers);
  plug_hot(vm.disks);
  for (const auto& d : vm.disks) {
    if (auto limits = initial_throttle_step(vm, d); limits && !d.hotplug) steps.push_back(std::move(*limits));
  }
  plug_hot(vm.vhost_users);
  plug_hot(vm.virtio_serials);
  plug_hot(vm.serials);
  for (const auto& n : vm.nets) append(n.hotplug ? plug(vm, layout, n) : net_link_steps(n));
  plug_hot(vm.virtio_fs);
  plug_hot(vm.vfios);
  plug_hot(vm.vsocks);
  plug_hot(vm.dimms);
  // Last: the target is relative to all RAM, DIMMs included.
  for (const auto& b : vm.balloons)
    if (b.target) steps.push_back(balloon_step(b.id.str(), b.target->bytes(), std::nullopt));
  return steps;
}

Error not_found(std::string_view resource) {
  return Error(fmt::format("'{}' is not a hot-pluggable device of this manifest", resource));
}

Error not_found(const ResourceKey& key) { return not_found(key.str()); }

Error not_hotplug(const ResourceKey& key) {
  return Error(fmt::format("'{}' has hotplug = false: it is part of the QEMU command line, so adding or "
                           "removing it needs a restart",
                           key.str()));
}

// A CPU slot, as plug/unplug builders take it.
struct CpuSlot {
  std::uint32_t slot;
};

Result<CpuSlot> cpu_slot(const Vm& vm, const ResourceKey& key) {
  std::uint32_t slot = 0;
  const std::string_view id = key.id;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), slot);
  if (ec != std::errc() || end != id.data() + id.size() || slot >= vm.cpu.max) return unexpected(not_found(key));
  if (slot < vm.cpu.count) return unexpected(not_hotplug(key));
  return CpuSlot{slot};
}

// A list of devices with plug and unplug builders (lower_families.hpp): the hot-pluggable kinds.
template <class List>
concept Pluggable = requires(const Vm& vm, const PciLayout& layout, const List& devices) {
  plug(vm, layout, devices.front());
  unplug(devices.front());
};

// Finds the hot-pluggable device `key` names and hands it (or its CPU slot) to `fn`.
template <class Fn>
Result<std::vector<PlanStep>> with_device(const Vm& vm, const ResourceKey& key, Fn&& fn) {
  if (key.kind == ResourceKind::cpu) {
    VMFORGE_TRY(const CpuSlot slot, cpu_slot(vm, key));
    return fn(slot);
  }
  return with_devices(vm, key.kind, [&](const auto& devices) -> Result<std::vector<PlanStep>> {
    if constexpr (!Pluggable<std::decay_t<decltype(devices)>>) {
      return unexpected(not_found(key));
    } else {
      const auto* device = find_device(devices, key.id);
      if (device == nullptr) return unexpected(not_found(key));
      if (!device->hotplug) return unexpected(not_hotplug(key));
      return fn(*device);
    }
  });
}

Result<ResourceKey> parse_key(std::string_view resource) {
  auto key = ResourceKey::parse(resource);
  if (!key) return unexpected(not_found(resource));
  return std::move(*key);
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
  lower_pci(ctx);
  lower_storage(ctx);
  lower_chardev(ctx);
  lower_net(ctx);
  lower_fs(ctx);
  lower_devices(ctx);
  lower_memory(ctx);
  lower_extra(ctx);
  Diagnostics diagnostics = ctx.take_diagnostics();
  if (diagnostics.has_errors()) {
    diagnostics.sort();
    return unexpected(std::move(diagnostics));
  }
  return Plan{vm.name, vm.qemu.binary, vm.source_sha256, ctx.take_argv(), boot_steps(vm, *layout), ctx.take_files()};
}

Result<PciPins> pci_pins_of(const Vm& vm) {
  VMFORGE_TRY(const PciLayout layout, layout_of(vm));
  return pins_of(layout);
}

Result<std::vector<PlanStep>> plug_steps(const Vm& vm, const ResourceKey& key) {
  VMFORGE_TRY(const PciLayout layout, layout_of(vm));
  return with_device(vm, key, [&](const auto& device) -> std::vector<PlanStep> {
    if constexpr (std::is_same_v<std::decay_t<decltype(device)>, CpuSlot>) return cpu_plug(vm, device.slot);
    else return plug(vm, layout, device);
  });
}

Result<std::vector<PlanStep>> unplug_steps(const Vm& vm, const ResourceKey& key) {
  return with_device(vm, key, [&](const auto& device) -> std::vector<PlanStep> {
    if constexpr (std::is_same_v<std::decay_t<decltype(device)>, CpuSlot>) return cpu_unplug(device.slot);
    else return unplug(device);
  });
}

Result<std::vector<PlanStep>> plug_steps(const Vm& vm, std::string_view resource) {
  VMFORGE_TRY(const ResourceKey key, parse_key(resource));
  return plug_steps(vm, key);
}

Result<std::vector<PlanStep>> unplug_steps(const Vm& vm, std::string_view resource) {
  VMFORGE_TRY(const ResourceKey key, parse_key(resource));
  return unplug_steps(vm, key);
}

}  // namespace vmforge
