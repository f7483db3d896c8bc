// Validation of the remaining device tables: [[vfio]], [[vsock]], [[balloon]], [[rng]],
// [[loader]], [[pvpanic]], and the [cloud_init] seed (a device: a CD-ROM the guest reads).
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

void read_vfio(Fields& f, Vm& vm) {
  Vfio v;
  v.id = read_device_id(f, "vfio", vm);
  v.kind = f.choice_or_default<VfioKind>("type");
  bool pci = v.kind == VfioKind::pci;
  f.only_if(pci, "host", "type 'pci'");
  f.only_if(pci, "vendor_id", "type 'pci'");
  f.only_if(pci, "device_id", "type 'pci'");
  if (pci) {
    if (f.has("host") == f.has("sysfsdev")) {
      f.ctx().error(f.loc(), fmt::format("{} needs exactly one of 'host' (a PCI function) and 'sysfsdev' (an mdev "
                                         "path)",
                                         f.owner()));
    }
    if (auto text = f.text("host")) {
      auto host = HostPciAddress::parse(*text);
      if (!host) f.error("host", fmt::format("{}: {}", f.owner(), host.error().message));
      else v.host = *host;
    }
    if (auto id = f.number("vendor_id")) v.vendor_id = static_cast<std::uint16_t>(*id);
    if (auto id = f.number("device_id")) v.device_id = static_cast<std::uint16_t>(*id);
  } else {
    f.require("sysfsdev");
    if (!is_s390(vm.machine)) {
      f.error("type",
              fmt::format("{}: type '{}' needs an s390x machine (s390-ccw-virtio)", f.owner(), to_string(v.kind)));
    }
  }
  v.sysfsdev = f.path("sysfsdev");
  if (v.kind == VfioKind::ap) {
    for (std::string_view key : {"pci_bus", "pci_addr", "romfile", "devno"})
      f.only_if(false, key, "types 'pci' and 'ccw'");
  } else {
    v.placement = read_placement(f, vm, pci ? Transport::pci : Transport::ccw);
  }
  if (pci && !machine_has_pci(vm.machine)) {
    f.error("id", fmt::format("{}: machine '{}' has no PCI bus", f.owner(), vm.machine.type));
  }
  v.hotplug = read_hotplug(f, vm, pci ? Transport::pci : Transport::ccw);
  vm.vfios.push_back(std::move(v));
}

void read_vsock(Fields& f, Vm& vm) {
  Vsock v;
  v.id = read_device_id(f, "vsock", vm);
  if (f.require("cid")) v.cid = static_cast<std::uint32_t>(f.number("cid").value_or(kNoCid));
  v.vhost_fd = read_fd_number(f, "vhost_fd");
  v.placement = read_placement(f, vm);
  v.hotplug = read_hotplug(f, vm, v.placement.transport);
  vm.vsocks.push_back(std::move(v));
}

void read_rng(Fields& f, Vm& vm) {
  Rng r;
  r.id = read_device_id(f, "rng", vm);
  if (auto source = f.path("source")) r.source = *source;
  r.max_bytes = f.number("max_bytes");
  if (auto period = f.number("period_ms")) r.period_ms = static_cast<std::uint32_t>(*period);
  r.placement = read_placement(f, vm);
  vm.rngs.push_back(std::move(r));
}

// The balloon works in 4 KiB pages: any other target would never be reached exactly.
std::optional<ByteSize> read_balloon_target(const Fields& f, const Vm& vm) {
  auto target = f.size("target");
  if (!target) return std::nullopt;
  if (target->bytes() == 0 || target->bytes() % 4096 != 0) {
    f.error("target",
            fmt::format("{}: 'target' ({}) must be a positive multiple of 4 KiB (the balloon works in pages){}",
                        f.owner(), target->to_string(), f.size_unit_hint("target")));
    return std::nullopt;
  }
  if (*target > vm.memory.size) {
    f.error("target", fmt::format("{}: 'target' ({}) must not exceed [memory] 'size' ({})", f.owner(),
                                  target->to_string(), vm.memory.size.to_string()));
    return std::nullopt;
  }
  return target;
}

void read_loader(Fields& f, Vm& vm) {
  Loader l;
  l.id = read_device_id(f, "loader", vm);
  if (f.require("file")) l.file = f.path("file").value_or("");
  l.addr = f.number("addr");
  if (auto cpu = f.number("cpu_num")) l.cpu_num = static_cast<std::uint32_t>(*cpu);
  l.force_raw = f.flag_or_default("force_raw");
  vm.loaders.push_back(std::move(l));
}

}  // namespace

void at_most_one(const Fields& f, std::size_t& seen, std::string_view kind) {
  if (++seen > 1) f.error("id", fmt::format("{}: only one [[{}]] is allowed", f.owner(), kind));
}

void validate_devices(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "vfio", ctx, [&](Fields& f) { read_vfio(f, vm); });
  for_each_table(root, "vsock", ctx, [&](Fields& f) { read_vsock(f, vm); });
  std::size_t balloons = 0;
  for_each_table(root, "balloon", ctx, [&](Fields& f) {
    Balloon b;
    b.id = read_device_id(f, "balloon", vm);
    at_most_one(f, balloons, "balloon");
    b.deflate_on_oom = f.flag_or_default("deflate_on_oom");
    b.free_page_reporting = f.flag_or_default("free_page_reporting");
    b.target = read_balloon_target(f, vm);
    b.placement = read_placement(f, vm);
    vm.balloons.push_back(std::move(b));
  });
  for_each_table(root, "rng", ctx, [&](Fields& f) { read_rng(f, vm); });
  for_each_table(root, "loader", ctx, [&](Fields& f) { read_loader(f, vm); });
  std::size_t pvpanics = 0;
  for_each_table(root, "pvpanic", ctx, [&](Fields& f) {
    PvPanic p;
    p.id = read_device_id(f, "pvpanic", vm);
    at_most_one(f, pvpanics, "pvpanic");
    if (vm.machine.family == MachineFamily::other) {
      f.error("id", fmt::format("{}: the ISA pvpanic device needs an x86 machine (q35, pc or microvm)", f.owner()));
    }
    vm.pvpanics.push_back(std::move(p));
  });
}

void validate_cloud_init(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "cloud_init", ctx);
  if (!f.present()) return;
  vm.origins.emplace("cloud_init", f.loc());
  CloudInit ci;
  ci.format = f.choice_or_default<CloudInitFormat>("format");
  if (f.require("user_data")) ci.user_data = f.path("user_data").value_or("");
  if (f.require("meta_data")) ci.meta_data = f.path("meta_data").value_or("");
  ci.network_config = f.path("network_config");
  vm.cloud_init = std::move(ci);
}

}  // namespace vmforge
