// Lowering of block storage: virtio-scsi controllers, disks (a file node, a format node and a
// frontend device, the same JSON for -blockdev/-device and blockdev-add/device_add) and
// vhost-user blk/scsi devices, with their plug/unplug steps.
#include "compiler/lower_families.hpp"

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

std::string resource_of(const Disk& d) { return "disk:" + d.id.str(); }

void write_node_common(JsonWriter& w, const Disk& d) {
  const CacheFlags cache = cache_flags(d.cache);
  if (cache.direct || cache.no_flush) {
    w.key("cache").begin_object().field("direct", cache.direct).field("no-flush", cache.no_flush).end_object();
  }
  if (d.readonly || d.media == DiskMedia::cdrom) w.field("read-only", true);
  if (d.discard) w.field("discard", "unmap");
}

std::string file_node_json(const Disk& d) {
  return json_object([&](JsonWriter& w) {
    // The 'file' driver refuses host block devices; those need 'host_device'/'host_cdrom'.
    const bool device_node = d.file.rfind("/dev/", 0) == 0;
    std::string_view driver = "file";
    if (device_node) driver = d.media == DiskMedia::cdrom ? "host_cdrom" : "host_device";
    w.field("driver", driver).field("node-name", d.id.derived("file")).field("filename", d.file);
    w.field("aio", to_string(d.aio));
    write_node_common(w, d);
  });
}

std::string format_node_json(const Disk& d) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", to_string(d.format)).field("node-name", d.id.derived("fmt"));
    w.field("file", d.id.derived("file"));
    write_node_common(w, d);
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

void lower_block(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& c : vm.scsi_controllers) {
    if (!c.hotplug) ctx.arg("-device", scsi_controller_json(vm, ctx.layout(), c));
  }
  for (const auto& d : vm.disks) {
    if (d.hotplug) continue;
    ctx.arg("-blockdev", file_node_json(d));
    ctx.arg("-blockdev", format_node_json(d));
    ctx.arg("-device", disk_device_json(vm, ctx.layout(), d));
  }
  for (const auto& dev : vm.vhost_users) {
    if (dev.hotplug) continue;
    ctx.kv("-chardev", KvOption("socket").add("id", vhost_user_chardev(dev)).add("path", dev.socket),
           "vhost_user:" + dev.id.str());
    ctx.arg("-device", vhost_user_json(vm, ctx.layout(), dev));
  }
}

std::vector<PlanStep> scsi_controller_plug(const Vm& vm, const PciLayout& layout, const ScsiController& c) {
  return {device_add_step("scsi_controller:" + c.id.str(), c.id.str(), scsi_controller_json(vm, layout, c))};
}

std::vector<PlanStep> scsi_controller_unplug(const ScsiController& c) {
  return {device_del_step("scsi_controller:" + c.id.str(), c.id.str())};
}

std::vector<PlanStep> disk_plug(const Vm& vm, const PciLayout& layout, const Disk& d) {
  const std::string resource = resource_of(d);
  return {
      reply_step(resource, "blockdev-add", file_node_json(d),
                 reply_call("blockdev-del", json_single("node-name", d.id.derived("file")))),
      reply_step(resource, "blockdev-add", format_node_json(d),
                 reply_call("blockdev-del", json_single("node-name", d.id.derived("fmt")))),
      device_add_step(resource, d.id.str(), disk_device_json(vm, layout, d)),
  };
}

std::vector<PlanStep> disk_unplug(const Disk& d) {
  const std::string resource = resource_of(d);
  return {
      device_del_step(resource, d.id.str()),
      reply_step(resource, "blockdev-del", json_single("node-name", d.id.derived("fmt"))),
      reply_step(resource, "blockdev-del", json_single("node-name", d.id.derived("file"))),
  };
}

std::vector<PlanStep> vhost_user_plug(const Vm& vm, const PciLayout& layout, const VhostUser& dev) {
  return chardev_device_plug("vhost_user:" + dev.id.str(),
                             socket_chardev_add_json(vhost_user_chardev(dev), dev.socket, false),
                             vhost_user_chardev(dev), dev.id.str(), vhost_user_json(vm, layout, dev));
}

std::vector<PlanStep> vhost_user_unplug(const VhostUser& dev) {
  return chardev_device_unplug("vhost_user:" + dev.id.str(), vhost_user_chardev(dev), dev.id.str());
}

}  // namespace vmforge
