// Lowering of shared directories: virtio-9p (an -fsdev and its device) and virtio-fs
// (vhost-user-fs on a virtiofsd socket), with virtio-fs plug/unplug steps.
#include "compiler/lower/families.hpp"
#include "compiler/qmp/ops_chardev.hpp"

namespace vmforge {
namespace {

std::string resource_of(const VirtioFs& fs) { return resource_name(ResourceKind::fs, fs.id); }

std::string chardev_id(const VirtioFs& fs) { return fs.id.derived("char"); }

qmp::VhostUserDeviceAdd virtio_fs_device(const Vm& vm, const PciLayout& layout, const VirtioFs& fs) {
  return {virtio_driver("vhost-user-fs", fs.placement.transport),
          fs.id.str(),
          placement_of(vm, layout, fs.id, fs.placement),
          chardev_id(fs),
          fs.tag,
          std::nullopt,
          fs.queue_size,
          std::nullopt};
}

void lower_9p(LowerContext& ctx, const Fs9p& fs) {
  KvOption fsdev("local");
  fsdev.add("id", fs.id.derived("fs")).add("path", fs.path).add("security_model", to_string(fs.security_model));
  if (fs.multidev) fsdev.add("multidevs", to_string(*fs.multidev));
  if (fs.readonly) fsdev.on_off("readonly", true);
  ctx.kv("-fsdev", fsdev, "fs_9p:" + fs.id.str());
  ctx.arg("-device", json_object([&](JsonWriter& w) {
            w.field("driver", virtio_driver("virtio-9p", fs.placement.transport)).field("id", fs.id.str());
            write_placement(w, ctx.vm(), ctx.layout(), fs.id, fs.placement);
            w.field("fsdev", fs.id.derived("fs")).field("mount_tag", fs.tag);
          }));
}

}  // namespace

void lower_fs(LowerContext& ctx) {
  for (const auto& fs : ctx.vm().fs_9p) lower_9p(ctx, fs);
  for (const auto& fs : ctx.vm().virtio_fs) {
    if (fs.hotplug) continue;
    ctx.kv("-chardev", KvOption("socket").add("id", chardev_id(fs)).add("path", fs.socket), resource_of(fs));
    ctx.arg("-device", qmp::arguments(virtio_fs_device(ctx.vm(), ctx.layout(), fs)));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VirtioFs& fs) {
  return chardev_device_plug(resource_of(fs), qmp::chardev_add_socket({chardev_id(fs), fs.socket, false}),
                             chardev_id(fs), fs.id.str(), qmp::device_add(virtio_fs_device(vm, layout, fs)));
}

std::vector<PlanStep> unplug(const VirtioFs& fs) {
  return chardev_device_unplug(resource_of(fs), chardev_id(fs), fs.id.str());
}

}  // namespace vmforge
