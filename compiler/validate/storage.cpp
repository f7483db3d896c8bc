// Validation of block storage: [[disk]], [[scsi_controller]], [[vhost_user]].
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

constexpr std::string_view kPlacementKeys[] = {"transport",      "pci_bus", "pci_addr",
                                               "disable_modern", "romfile", "devno"};

void read_serial_number(const Fields& f, Disk& d) {
  auto serial = f.text("serial");
  if (!serial) return;
  bool printable = true;
  for (char c : *serial) printable = printable && c >= 0x20 && c <= 0x7e;
  const KeyRange chars = f.length("serial");
  const auto size = static_cast<std::int64_t>(serial->size());
  if (size < chars.min || size > chars.max || !printable) {
    f.error("serial", fmt::format("{}: 'serial' must be {} to {} printable ASCII characters, not {}", f.owner(),
                                  chars.min, chars.max, quote_text(*serial)));
    return;
  }
  d.serial = *serial;
}

void check_boot_index(const Fields& f, bool hotplug) {
  if (hotplug && f.has("boot_index")) {
    f.error("boot_index", fmt::format("{}: QEMU ignores the boot order of hot-plugged devices; remove "
                                      "'boot_index' or 'hotplug'",
                                      f.owner()));
  }
}

// `backing = {file, format}`: only formats that have a backing image take one.
void read_backing(const Fields& f, Disk& d) {
  if (!f.has("backing")) return;
  if (!has_backing_chain(d.format)) {
    f.error("backing", fmt::format("{}: format '{}' has no backing image; 'backing' needs qcow2, qed or vmdk",
                                   f.owner(), to_string(d.format)));
    return;
  }
  Fields b(f.raw("backing"), "disk.backing", f.owner() + " backing", f.ctx(), f.loc("backing"));
  if (!b.require("file")) return;
  d.backing = DiskBacking{b.path("file").value_or(""), b.choice_or_default<DiskFormat>("format")};
}

// `size`: the image vmforge creates when missing and grows live (formats qemu-img creates
// sparse, and only a writable image can grow).
void read_size(const Fields& f, Disk& d) {
  auto size = f.size("size");
  if (!size) return;
  if (size->bytes() == 0 || size->bytes() % 512 != 0) {
    f.error("size", fmt::format("{}: 'size' must be a positive multiple of 512 bytes (a sector), not {}{}", f.owner(),
                                size->to_string(), f.size_unit_hint("size")));
    return;
  }
  if (d.format != DiskFormat::raw && d.format != DiskFormat::qcow2) {
    f.error("size", fmt::format("{}: 'size' creates and grows raw or qcow2 images, not format '{}'; create the "
                                "image yourself and remove 'size'",
                                f.owner(), to_string(d.format)));
    return;
  }
  if (d.readonly) {
    f.error("size", fmt::format("{}: a read-only disk cannot be created empty or grown; remove 'size'{}", f.owner(),
                                d.media == DiskMedia::cdrom ? "" : " or 'readonly'"));
    return;
  }
  if (d.file.starts_with("/dev/")) {
    f.error("size",
            fmt::format("{}: '{}' is a host device, whose size is the host's; remove 'size'", f.owner(), d.file));
    return;
  }
  d.size = size;
}

// Limits of its own or a shared group's, not both: like libvirt, where a disk in a group has
// the group's limits, because QEMU puts a device in exactly one group.
void read_disk_limits(const Fields& f, Disk& d) {
  d.limits = read_io_limits(f);
  if (d.media == DiskMedia::cdrom && (d.limits.any() || f.has("throttle_group"))) {
    const std::string_view key = f.has("throttle_group") ? "throttle_group" : "media";
    f.error(key, fmt::format("{}: I/O limits apply to disks, not to a cdrom (QEMU takes limits only on a drive with a "
                             "medium, and a cdrom may be empty or ejected)",
                             f.owner()));
    return;
  }
  d.throttle_group = f.ref("throttle_group", {"throttle_group"});
  if (d.throttle_group && d.limits.any()) {
    f.error("throttle_group", fmt::format("{}: a disk takes its I/O limits from throttle_group '{}' or sets its own, "
                                          "not both; move them to the [[throttle_group]] or drop 'throttle_group'",
                                          f.owner(), d.throttle_group->str()));
  }
}

void read_disk(Fields& f, Vm& vm) {
  Disk d;
  d.id = read_device_id(f, "disk", vm);
  if (f.require("file")) d.file = f.path("file").value_or("");
  d.format = f.choice_or_default<DiskFormat>("format");
  read_backing(f, d);
  d.bus = f.choice_or_default<DiskBus>("bus");
  d.media = f.choice_or_default<DiskMedia>("media");
  bool virtio = d.bus == DiskBus::virtio;
  bool scsi = d.bus == DiskBus::scsi;
  if (d.media == DiskMedia::cdrom && virtio) {
    f.error(f.has("bus") ? "bus" : "media", fmt::format("{}: a cdrom needs bus 'scsi' or 'ide'", f.owner()));
  }
  if (d.bus == DiskBus::ide && vm.machine.family != MachineFamily::q35 && vm.machine.family != MachineFamily::pc) {
    f.error("bus", fmt::format("{}: bus 'ide' needs a q35 or pc machine, not '{}'", f.owner(), vm.machine.type));
  }
  f.only_if(scsi, "controller", "bus 'scsi'");
  f.only_if(scsi, "lun", "bus 'scsi'");
  f.only_if(virtio, "iothread", "bus 'virtio' (put it on the [[scsi_controller]] for scsi disks)");
  f.only_if(virtio, "num_queues", "bus 'virtio'");
  f.only_if(virtio, "config_wce", "bus 'virtio'");
  for (std::string_view key : kPlacementKeys) f.only_if(virtio, key, "bus 'virtio'");
  if (scsi) {
    d.controller = f.ref("controller", {"scsi_controller"});
    if (auto lun = f.number("lun")) d.lun = static_cast<std::uint32_t>(*lun);
  }
  d.aio = f.choice_or_default<DiskAio>("aio");
  d.cache = f.choice_or_default<DiskCache>("cache");
  if (d.aio == DiskAio::native && d.cache != DiskCache::none && d.cache != DiskCache::directsync) {
    f.error("aio", fmt::format("{}: aio 'native' needs cache 'none' or 'directsync' (O_DIRECT)", f.owner()));
  }
  d.readonly = f.flag_or("readonly", d.media == DiskMedia::cdrom);
  if (d.media == DiskMedia::cdrom && !d.readonly) {
    f.error("readonly", fmt::format("{}: a cdrom is always read-only", f.owner()));
  }
  read_size(f, d);
  d.share_rw = f.flag_or_default("share_rw");
  d.write_cache = f.flag("write_cache");
  d.discard = f.flag_or_default("discard");
  read_serial_number(f, d);
  if (virtio) {
    d.iothread = f.ref("iothread", {"iothread"});
    if (auto queues = f.number("num_queues")) d.num_queues = static_cast<std::uint32_t>(*queues);
    d.config_wce = f.flag("config_wce");
    d.placement = read_placement(f, vm);
  }
  if (auto index = f.number("boot_index")) d.boot_index = static_cast<std::uint32_t>(*index);
  read_disk_limits(f, d);
  d.hotplug = read_hotplug(f, vm, d.placement.transport);
  if (d.hotplug && d.bus == DiskBus::ide) {
    f.error("hotplug", fmt::format("{}: IDE disks cannot be hot-plugged; use bus 'virtio' or 'scsi'", f.owner()));
  }
  check_boot_index(f, d.hotplug);
  vm.disks.push_back(std::move(d));
}

}  // namespace

void validate_storage(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "disk", ctx, [&](Fields& f) { read_disk(f, vm); });
  for_each_table(root, "scsi_controller", ctx, [&](Fields& f) {
    ScsiController c;
    c.id = read_device_id(f, "scsi_controller", vm);
    c.iothread = f.ref("iothread", {"iothread"});
    if (auto queues = f.number("num_queues")) c.num_queues = static_cast<std::uint32_t>(*queues);
    c.placement = read_placement(f, vm);
    c.hotplug = read_hotplug(f, vm, c.placement.transport);
    vm.scsi_controllers.push_back(std::move(c));
  });
  for_each_table(root, "vhost_user", ctx, [&](Fields& f) {
    VhostUser v;
    v.id = read_device_id(f, "vhost_user", vm);
    if (f.require("type")) v.kind = f.choice<VhostUserKind>("type").value_or(v.kind);
    v.socket = (f.require("socket") ? read_socket_path(f, "socket") : std::nullopt).value_or("");
    if (auto queues = f.number("num_queues")) v.num_queues = static_cast<std::uint32_t>(*queues);
    f.only_if(v.kind == VhostUserKind::blk, "boot_index", "type 'blk'");
    if (auto index = f.number("boot_index")) v.boot_index = static_cast<std::uint32_t>(*index);
    v.placement = read_placement(f, vm);
    v.hotplug = read_hotplug(f, vm, v.placement.transport);
    check_boot_index(f, v.hotplug);
    require_shared_memory(f, vm);
    vm.vhost_users.push_back(std::move(v));
  });
}

}  // namespace vmforge
