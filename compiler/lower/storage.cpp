// Lowering of block storage: virtio-scsi controllers, disks (a file node, a format node and a
// frontend device, the same JSON for -blockdev/-device and blockdev-add/device_add) and
// vhost-user blk/scsi devices, with their plug/unplug steps.
#include "compiler/lower/families.hpp"

namespace vmforge {
namespace {

struct CacheFlags {
  bool direct = false;
  bool no_flush = false;
  bool write_cache = true;
};

// The classic -drive cache modes in -blockdev terms.
CacheFlags cache_flags(DiskCache cache) {
  switch (cache) {
    case DiskCache::writeback: return {false, false, true};
    case DiskCache::none: return {true, false, true};
    case DiskCache::writethrough: return {false, false, false};
    case DiskCache::directsync: return {true, false, false};
    case DiskCache::unsafe: return {false, true, true};
  }
  return {};
}

std::string resource_of(const Disk& d) { return resource_name(ResourceKind::disk, d.id); }
std::string resource_of(const VhostUser& v) { return resource_name(ResourceKind::vhost_user, v.id); }

void write_node_common(JsonWriter& w, const Disk& d) {
  const CacheFlags cache = cache_flags(d.cache);
  if (cache.direct || cache.no_flush) {
    w.key("cache").begin_object().field("direct", cache.direct).field("no-flush", cache.no_flush).end_object();
  }
  if (d.readonly || d.media == DiskMedia::cdrom) w.field("read-only", true);
  if (d.discard) w.field("discard", "unmap");
}

// The files QEMU reads a disk from: the image, and the backing image the manifest names.
// The supervisor opens them (QEMU may run as a user that cannot) and QEMU gets fd sets.
PassedFile image_file(const Disk& d) {
  return {d.file, d.readonly || d.media == DiskMedia::cdrom ? FileOpen::read : FileOpen::read_write};
}
PassedFile backing_file(const Disk& d) { return {d.backing->file, FileOpen::read}; }
// The fd sets of a hot disk are named by resource and path: a new medium or file never lands
// in a set that still holds the old one (QEMU would open the first fd of the set).
std::string image_key(const Disk& d) { return resource_of(d) + '\n' + d.file; }
std::string backing_key(const Disk& d) { return resource_of(d) + "\nbacking\n" + d.backing->file; }

// `filename` is the fd set QEMU opens: `host_path` only chooses the driver.
std::string file_node_json(const Disk& d, std::string_view node, std::string_view host_path,
                           std::string_view filename, bool backing) {
  return json_object([&](JsonWriter& w) {
    // The 'file' driver refuses host block devices; those need 'host_device'/'host_cdrom'.
    const bool device_node = host_path.starts_with("/dev/");
    std::string_view driver = "file";
    if (device_node) driver = d.media == DiskMedia::cdrom && !backing ? "host_cdrom" : "host_device";
    w.field("driver", driver).field("node-name", node).field("filename", filename);
    w.field("aio", to_string(d.aio));
    if (backing) {
      w.field("read-only", true);
    } else {
      write_node_common(w, d);
    }
  });
}

// A format node's backing is never what its image header says (D7): the manifest's backing
// node, or none. Formats without a backing chain take no "backing" key.
void write_backing(JsonWriter& w, DiskFormat format, std::optional<std::string> node) {
  if (!has_backing_chain(format)) return;
  if (node) {
    w.field("backing", *node);
  } else {
    w.key("backing").null();
  }
}

std::string format_node_json(const Disk& d) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", to_string(d.format)).field("node-name", d.id.derived("fmt"));
    w.field("file", d.id.derived("file"));
    write_backing(w, d.format, d.backing ? std::optional(d.id.derived("backing")) : std::nullopt);
    write_node_common(w, d);
  });
}

std::string backing_node_json(const Disk& d) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", to_string(d.backing->format)).field("node-name", d.id.derived("backing"));
    w.field("file", d.id.derived("backing-file")).field("read-only", true);
    write_backing(w, d.backing->format, std::nullopt);
  });
}

std::string disk_device_json(const Vm& vm, const PciLayout& layout, const Disk& d) {
  return json_object([&](JsonWriter& w) {
    const bool cdrom = d.media == DiskMedia::cdrom;
    switch (d.bus) {
      case DiskBus::virtio:
        w.field("driver", virtio_driver("virtio-blk", d.placement.transport)).field("id", d.id.str());
        write_placement(w, vm, layout, d.id, d.placement);
        break;
      case DiskBus::scsi:
        w.field("driver", cdrom ? "scsi-cd" : "scsi-hd").field("id", d.id.str());
        if (d.controller) w.field("bus", d.controller->derived("0"));
        if (d.lun) w.field("lun", *d.lun);
        break;
      case DiskBus::ide:
        w.field("driver", cdrom ? "ide-cd" : "ide-hd").field("id", d.id.str());
        break;
    }
    w.field("drive", d.id.derived("fmt"));
    if (d.bus == DiskBus::virtio) {
      if (d.iothread) w.field("iothread", d.iothread->str());
      if (d.num_queues) w.field("num-queues", *d.num_queues);
      if (d.config_wce) w.field("config-wce", *d.config_wce);
    }
    if (d.serial) w.field("serial", *d.serial);
    const bool write_cache = d.write_cache.value_or(cache_flags(d.cache).write_cache);
    if (d.write_cache || !write_cache) w.field("write-cache", write_cache ? "on" : "off");
    if (d.share_rw) w.field("share-rw", true);
    if (d.boot_index) w.field("bootindex", *d.boot_index);
  });
}

std::string scsi_controller_json(const Vm& vm, const PciLayout& layout, const ScsiController& c) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", virtio_driver("virtio-scsi", c.placement.transport)).field("id", c.id.str());
    write_placement(w, vm, layout, c.id, c.placement);
    if (c.iothread) w.field("iothread", c.iothread->str());
    if (c.num_queues) w.field("num_queues", *c.num_queues);
  });
}

std::string vhost_user_chardev(const VhostUser& dev) { return dev.id.derived("char"); }

std::string vhost_user_json(const Vm& vm, const PciLayout& layout, const VhostUser& dev) {
  return json_object([&](JsonWriter& w) {
    const bool blk = dev.kind == VhostUserKind::blk;
    w.field("driver", virtio_driver(blk ? "vhost-user-blk" : "vhost-user-scsi", dev.placement.transport));
    w.field("id", dev.id.str());
    write_placement(w, vm, layout, dev.id, dev.placement);
    w.field("chardev", vhost_user_chardev(dev));
    if (dev.num_queues) w.field(blk ? "num-queues" : "num_queues", *dev.num_queues);
    if (dev.boot_index) w.field("bootindex", *dev.boot_index);
  });
}

}  // namespace

void lower_storage(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& c : vm.scsi_controllers) {
    if (!c.hotplug) ctx.arg("-device", scsi_controller_json(vm, ctx.layout(), c));
  }
  for (const auto& d : vm.disks) {
    if (d.hotplug) continue;
    const std::string resource = resource_of(d);
    ctx.arg("-blockdev", file_node_json(d, d.id.derived("file"), d.file, ctx.pass_file(resource, image_file(d)), false));
    if (d.backing) {
      ctx.arg("-blockdev", file_node_json(d, d.id.derived("backing-file"), d.backing->file,
                                          ctx.pass_file(resource, backing_file(d)), true));
      ctx.arg("-blockdev", backing_node_json(d));
    }
    ctx.arg("-blockdev", format_node_json(d));
    ctx.arg("-device", disk_device_json(vm, ctx.layout(), d));
  }
  for (const auto& dev : vm.vhost_users) {
    if (dev.hotplug) continue;
    ctx.kv("-chardev", KvOption("socket").add("id", vhost_user_chardev(dev)).add("path", dev.socket),
           resource_of(dev));
    ctx.arg("-device", vhost_user_json(vm, ctx.layout(), dev));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const ScsiController& c) {
  return {device_add_step(resource_name(ResourceKind::scsi_controller, c.id), c.id.str(), scsi_controller_json(vm, layout, c))};
}

std::vector<PlanStep> unplug(const ScsiController& c) {
  return {device_del_step(resource_name(ResourceKind::scsi_controller, c.id), c.id.str())};
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Disk& d) {
  const std::string resource = resource_of(d);
  auto add_node = [&](std::string json, const std::string& node) {
    return reply_step(resource, "blockdev-add", std::move(json), reply_call("blockdev-del", json_single("node-name", node)));
  };
  std::vector<PlanStep> steps{
      add_fd_step(resource, image_key(d), image_file(d)),
      add_node(file_node_json(d, d.id.derived("file"), d.file, hot_fdset_path(image_key(d)), false), d.id.derived("file")),
  };
  if (d.backing) {
    const std::string key = backing_key(d);
    steps.push_back(add_fd_step(resource, key, backing_file(d)));
    steps.push_back(add_node(file_node_json(d, d.id.derived("backing-file"), d.backing->file, hot_fdset_path(key), true),
                             d.id.derived("backing-file")));
    steps.push_back(add_node(backing_node_json(d), d.id.derived("backing")));
  }
  steps.push_back(add_node(format_node_json(d), d.id.derived("fmt")));
  steps.push_back(device_add_step(resource, d.id.str(), disk_device_json(vm, layout, d)));
  return steps;
}

std::vector<PlanStep> unplug(const Disk& d) {
  const std::string resource = resource_of(d);
  auto del_node = [&](const std::string& node) {
    return reply_step(resource, "blockdev-del", json_single("node-name", node));
  };
  std::vector<PlanStep> steps{device_del_step(resource, d.id.str()), del_node(d.id.derived("fmt"))};
  if (d.backing) {
    steps.push_back(del_node(d.id.derived("backing")));
    steps.push_back(del_node(d.id.derived("backing-file")));
    steps.push_back(remove_fd_step(resource, backing_key(d), backing_file(d)));
  }
  steps.push_back(del_node(d.id.derived("file")));
  steps.push_back(remove_fd_step(resource, image_key(d), image_file(d)));
  return steps;
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VhostUser& dev) {
  return chardev_device_plug(resource_of(dev),
                             socket_chardev_add_json(vhost_user_chardev(dev), dev.socket, false),
                             vhost_user_chardev(dev), dev.id.str(), vhost_user_json(vm, layout, dev));
}

std::vector<PlanStep> unplug(const VhostUser& dev) {
  return chardev_device_unplug(resource_of(dev), vhost_user_chardev(dev), dev.id.str());
}

}  // namespace vmforge
