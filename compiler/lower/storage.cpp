// Lowering of block storage: virtio-scsi controllers, disks (a file node, a format node and a
// frontend device, the same JSON for -blockdev/-device and blockdev-add/device_add) and
// vhost-user blk/scsi devices, with their plug/unplug steps.
#include <algorithm>

#include <fmt/format.h>

#include "compiler/lower/families.hpp"
#include "compiler/lower/io_limits.hpp"
#include "compiler/lower/snapshot.hpp"
#include "compiler/qmp/ops_block.hpp"
#include "compiler/qmp/ops_chardev.hpp"

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

qmp::BlockdevCache node_cache(const Disk& d) {
  const CacheFlags cache = cache_flags(d.cache);
  return {cache.direct, cache.no_flush};
}

bool read_only(const Disk& d) { return d.readonly || d.media == DiskMedia::cdrom; }

// The host step that makes a missing image: one of `size`, or a qcow2 overlay of the manifest's
// backing image (its size unless `size` says otherwise).
std::optional<ImageCreate> image_create(const Disk& d) {
  const bool overlay = d.format == DiskFormat::qcow2 && d.backing;
  if (!d.size && !overlay) return std::nullopt;
  ImageCreate create{std::string(to_string(d.format))};
  if (d.size) create.size = d.size->bytes();
  if (overlay) {
    create.backing_file = d.backing->file;
    create.backing_format = to_string(d.backing->format);
  }
  return create;
}

// The files QEMU reads a disk from: the image, and the backing image the manifest names.
// The supervisor opens them (QEMU may run as a user that cannot) and QEMU gets fd sets.
PassedFile image_file(const Disk& d) {
  return {d.file, read_only(d) ? FileOpen::read : FileOpen::read_write, image_create(d)};
}
PassedFile backing_file(const Disk& d) { return {d.backing->file, FileOpen::read}; }
// The fd sets of a hot disk are named by resource and path: a new medium or file never lands
// in a set that still holds the old one (QEMU would open the first fd of the set).
std::string image_key(const Disk& d) { return resource_of(d) + '\n' + d.file; }
std::string backing_key(const Disk& d) { return resource_of(d) + "\nbacking\n" + d.backing->file; }

// `filename` is the fd set QEMU opens: `host_path` only chooses the driver. `backing`: an image
// below the written one (the manifest's backing, or any below the top snapshot layer).
qmp::BlockdevFile file_node(const Disk& d, std::string node, std::string_view host_path, std::string filename,
                            bool backing) {
  qmp::BlockdevFile n;
  // The 'file' driver refuses host block devices; those need 'host_device'/'host_cdrom'.
  if (host_path.starts_with("/dev/")) n.driver = d.media == DiskMedia::cdrom && !backing ? "host_cdrom" : "host_device";
  n.node_name = std::move(node);
  n.filename = std::move(filename);
  n.aio = to_string(d.aio);
  n.read_only = backing || read_only(d);
  if (!backing) {
    n.cache = node_cache(d);
    n.discard = d.discard;
  }
  return n;
}

// A format node's backing is never what its image header says (D7): the manifest's backing
// node, or none. Formats without a backing chain take no "backing" key.
qmp::BlockdevFormat format_node(const Disk& d) {
  qmp::BlockdevFormat n;
  n.driver = to_string(d.format);
  n.node_name = d.id.derived("fmt");
  n.file = d.id.derived("file");
  if (has_backing_chain(d.format)) n.backing = d.backing ? std::optional(d.id.derived("backing")) : std::nullopt;
  n.cache = node_cache(d);
  n.read_only = read_only(d);
  n.discard = d.discard;
  return n;
}

// Snapshot layer `i` of a disk: a qcow2 node over its file whose backing is the layer below,
// the disk's own format node for the first (never the image header's name, D7). The guest
// writes to the top one; every node is opened writable, as a live snapshot leaves them, since
// deleting a snapshot merges (block-commit) a layer into the one below.
std::string layer_file_node_name(const Disk& d, std::size_t i) { return d.layers[i].node + "-file"; }
PassedFile layer_file(const Disk& d, std::size_t i) {
  return {d.layers[i].file, read_only(d) ? FileOpen::read : FileOpen::read_write};
}
std::string layer_key(const Disk& d, std::size_t i) { return resource_of(d) + "\nlayer\n" + d.layers[i].file; }

qmp::BlockdevFile layer_file_node(const Disk& d, std::size_t i, std::string filename) {
  return file_node(d, layer_file_node_name(d, i), d.layers[i].file, std::move(filename), false);
}

qmp::BlockdevFormat layer_node(const Disk& d, std::size_t i) {
  qmp::BlockdevFormat n;
  n.driver = to_string(DiskFormat::qcow2);
  n.node_name = d.layers[i].node;
  n.file = layer_file_node_name(d, i);
  n.backing = i == 0 ? d.id.derived("fmt") : d.layers[i - 1].node;
  n.cache = node_cache(d);
  n.read_only = read_only(d);
  n.discard = d.discard;
  return n;
}

qmp::BlockdevBacking backing_node(const Disk& d) {
  return {std::string(to_string(d.backing->format)), d.id.derived("backing"), d.id.derived("backing-file"),
          has_backing_chain(d.backing->format)};
}

qmp::BlockDeviceAdd disk_device(const Vm& vm, const PciLayout& layout, const Disk& d) {
  qmp::BlockDeviceAdd dev;
  dev.id = d.id.str();
  const bool cdrom = d.media == DiskMedia::cdrom;
  switch (d.bus) {
    case DiskBus::virtio:
      dev.driver = virtio_driver("virtio-blk", d.placement.transport);
      dev.placement = placement_of(vm, layout, d.id, d.placement);
      if (d.iothread) dev.iothread = d.iothread->str();
      dev.num_queues = d.num_queues;
      dev.config_wce = d.config_wce;
      break;
    case DiskBus::scsi:
      dev.driver = cdrom ? "scsi-cd" : "scsi-hd";
      if (d.controller) dev.placement.bus = d.controller->derived("0");
      dev.lun = d.lun;
      break;
    case DiskBus::ide: dev.driver = cdrom ? "ide-cd" : "ide-hd"; break;
  }
  dev.drive = active_node(d);
  dev.serial = d.serial.value_or("");
  const bool write_cache = d.write_cache.value_or(cache_flags(d.cache).write_cache);
  if (d.write_cache || !write_cache) dev.write_cache = write_cache;
  dev.share_rw = d.share_rw;
  dev.boot_index = d.boot_index;
  return dev;
}

qmp::ScsiControllerAdd scsi_controller(const Vm& vm, const PciLayout& layout, const ScsiController& c) {
  return {virtio_driver("virtio-scsi", c.placement.transport), c.id.str(), placement_of(vm, layout, c.id, c.placement),
          c.iothread ? c.iothread->str() : "", c.num_queues};
}

std::string vhost_user_chardev(const VhostUser& dev) { return dev.id.derived("char"); }

qmp::VhostUserDeviceAdd vhost_user_device(const Vm& vm, const PciLayout& layout, const VhostUser& dev) {
  qmp::VhostUserDeviceAdd d;
  d.driver =
      virtio_driver(dev.kind == VhostUserKind::blk ? "vhost-user-blk" : "vhost-user-scsi", dev.placement.transport);
  d.id = dev.id.str();
  d.placement = placement_of(vm, layout, dev.id, dev.placement);
  d.chardev = vhost_user_chardev(dev);
  d.num_queues = dev.num_queues;
  d.boot_index = dev.boot_index;
  return d;
}

}  // namespace

void lower_storage(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& c : vm.scsi_controllers) {
    if (!c.hotplug) ctx.arg("-device", qmp::arguments(scsi_controller(vm, ctx.layout(), c)));
  }
  for (const auto& group : vm.throttle_groups) {
    ctx.arg("-object", qmp::arguments(qmp::ThrottleGroupAdd{group.id.str(), set_limits(group.limits)}));
  }
  for (const auto& d : vm.disks) {
    if (d.hotplug) continue;
    const std::string resource = resource_of(d);
    ctx.arg("-blockdev", qmp::arguments(file_node(d, d.id.derived("file"), d.file,
                                                  ctx.pass_file(resource, image_file(d)), false)));
    if (d.backing) {
      ctx.arg("-blockdev", qmp::arguments(file_node(d, d.id.derived("backing-file"), d.backing->file,
                                                    ctx.pass_file(resource, backing_file(d)), true)));
      ctx.arg("-blockdev", qmp::arguments(backing_node(d)));
    }
    ctx.arg("-blockdev", qmp::arguments(format_node(d)));
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
      ctx.arg("-blockdev", qmp::arguments(layer_file_node(d, i, ctx.pass_file(resource, layer_file(d, i)))));
      ctx.arg("-blockdev", qmp::arguments(layer_node(d, i)));
    }
    ctx.arg("-device", qmp::arguments(disk_device(vm, ctx.layout(), d)));
  }
  for (const auto& dev : vm.vhost_users) {
    if (dev.hotplug) continue;
    ctx.kv("-chardev", KvOption("socket").add("id", vhost_user_chardev(dev)).add("path", dev.socket), resource_of(dev));
    ctx.arg("-device", qmp::arguments(vhost_user_device(vm, ctx.layout(), dev)));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const ScsiController& c) {
  return {device_add_step(resource_name(ResourceKind::scsi_controller, c.id), c.id.str(),
                          qmp::device_add(scsi_controller(vm, layout, c)))};
}

std::vector<PlanStep> unplug(const ScsiController& c) {
  return {device_del_step(resource_name(ResourceKind::scsi_controller, c.id), c.id.str())};
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Disk& d) {
  const std::string resource = resource_of(d);
  auto add_node = [&](const auto& node) -> PlanStep {
    return {resource, qmp::blockdev_add(node), qmp::blockdev_del(node.node_name)};
  };
  std::vector<PlanStep> steps{
      add_fd_step(resource, image_key(d), image_file(d)),
      add_node(file_node(d, d.id.derived("file"), d.file, hot_fdset_path(image_key(d)), false)),
  };
  if (d.backing) {
    const std::string key = backing_key(d);
    steps.push_back(add_fd_step(resource, key, backing_file(d)));
    steps.push_back(add_node(file_node(d, d.id.derived("backing-file"), d.backing->file, hot_fdset_path(key), true)));
    steps.push_back(add_node(backing_node(d)));
  }
  steps.push_back(add_node(format_node(d)));
  for (std::size_t i = 0; i < d.layers.size(); ++i) {
    steps.push_back(add_fd_step(resource, layer_key(d, i), layer_file(d, i)));
    steps.push_back(add_node(layer_file_node(d, i, hot_fdset_path(layer_key(d, i)))));
    steps.push_back(add_node(layer_node(d, i)));
  }
  steps.push_back(device_add_step(resource, d.id.str(), qmp::device_add(disk_device(vm, layout, d))));
  if (auto limits = initial_throttle_step(vm, d)) steps.push_back(std::move(*limits));
  return steps;
}

std::vector<PlanStep> unplug(const Disk& d) {
  const std::string resource = resource_of(d);
  auto del_node = [&](const std::string& node) -> PlanStep {
    return {resource, qmp::blockdev_del(node), std::nullopt};
  };
  // Nothing is removed from under what uses it: the device, the snapshot layers top down, then
  // the format node.
  std::vector<PlanStep> steps;
  if (auto lift = lift_throttle_step(d)) steps.push_back(std::move(*lift));
  steps.push_back(device_del_step(resource, d.id.str()));
  for (std::size_t i = d.layers.size(); i-- > 0;) {
    steps.push_back(del_node(d.layers[i].node));
    steps.push_back(del_node(layer_file_node_name(d, i)));
    steps.push_back(remove_fd_step(resource, layer_key(d, i), layer_file(d, i)));
  }
  steps.push_back(del_node(d.id.derived("fmt")));
  if (d.backing) {
    steps.push_back(del_node(d.id.derived("backing")));
    steps.push_back(del_node(d.id.derived("backing-file")));
    steps.push_back(remove_fd_step(resource, backing_key(d), backing_file(d)));
  }
  steps.push_back(del_node(d.id.derived("file")));
  steps.push_back(remove_fd_step(resource, image_key(d), image_file(d)));
  return steps;
}

Result<std::vector<PlanStep>> snapshot_steps(const Vm& vm, std::string_view name, const std::vector<NewLayer>& layers) {
  std::vector<PlanStep> steps;
  std::vector<qmp::BlockdevSnapshot> snapshots;
  for (const NewLayer& add : layers) {
    auto it = std::find_if(vm.disks.begin(), vm.disks.end(), [&](const Disk& d) { return d.id == add.disk; });
    if (it == vm.disks.end()) return unexpected(Error(fmt::format("There is no disk '{}'.", add.disk.str())));
    if (read_only(*it)) {
      return unexpected(Error(fmt::format("Disk '{}' is read-only: it has nothing to snapshot.", add.disk.str())));
    }
    Disk d = *it;
    const std::string below = active_node(d);
    const std::string active_file = d.layers.empty() ? d.file : d.layers.back().file;
    const std::string active_format(d.layers.empty() ? to_string(d.format) : to_string(DiskFormat::qcow2));
    d.layers.push_back(add.layer);
    const std::size_t i = d.layers.size() - 1;
    const std::string resource = resource_of(d);
    PassedFile file = layer_file(d, i);
    file.create = ImageCreate{std::string(to_string(DiskFormat::qcow2)), std::nullopt, active_file, active_format};
    steps.push_back(add_fd_step(resource, layer_key(d, i), file));
    auto add_node = [&](const auto& node) -> PlanStep {
      return {resource, qmp::blockdev_add(node), qmp::blockdev_del(node.node_name)};
    };
    steps.push_back(add_node(layer_file_node(d, i, hot_fdset_path(layer_key(d, i)))));
    // blockdev-snapshot wants an overlay without a backing; it links it to `below` itself.
    qmp::BlockdevFormat overlay = layer_node(d, i);
    overlay.backing = std::optional<std::string>();
    steps.push_back(add_node(overlay));
    snapshots.push_back({below, add.layer.node});
  }
  steps.push_back({fmt::format("snapshot:{}", name), qmp::snapshot_transaction(snapshots), std::nullopt});
  return steps;
}

Result<std::vector<PlanStep>> merge_steps(const Vm& vm, std::string_view name, const DeviceId& disk,
                                          std::size_t index, std::uint64_t speed) {
  auto it = std::find_if(vm.disks.begin(), vm.disks.end(), [&](const Disk& d) { return d.id == disk; });
  if (it == vm.disks.end() || index >= it->layers.size()) {
    return unexpected(Error(fmt::format("Disk '{}' has no snapshot layer {}.", disk.str(), index + 1)));
  }
  const Disk& d = *it;
  const std::string resource = fmt::format("snapshot:{}", name);
  const std::string job = d.id.derived("merge");
  const bool active = index + 1 == d.layers.size();
  const std::string below = index == 0 ? d.id.derived("fmt") : d.layers[index - 1].node;
  std::vector<PlanStep> steps;
  steps.push_back(
      {resource, qmp::block_commit({job, active_node(d), d.layers[index].node, below, active, speed}), std::nullopt});
  if (active) steps.push_back({resource, qmp::job_complete(job), std::nullopt});
  steps.push_back({resource, qmp::blockdev_del(d.layers[index].node), std::nullopt});
  steps.push_back({resource, qmp::blockdev_del(layer_file_node_name(d, index)), std::nullopt});
  return steps;
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VhostUser& dev) {
  return chardev_device_plug(resource_of(dev), qmp::chardev_add_socket({vhost_user_chardev(dev), dev.socket, false}),
                             vhost_user_chardev(dev), dev.id.str(),
                             qmp::device_add(vhost_user_device(vm, layout, dev)));
}

std::vector<PlanStep> unplug(const VhostUser& dev) {
  return chardev_device_unplug(resource_of(dev), vhost_user_chardev(dev), dev.id.str());
}

}  // namespace vmforge
