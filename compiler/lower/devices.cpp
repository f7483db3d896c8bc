// Lowering of the remaining devices: VFIO passthrough, vsock, balloon, rng, the cloud-init
// seed, pvpanic and the generic loader; plug/unplug steps for VFIO and vsock.
#include <algorithm>

#include <fmt/format.h>

#include "compiler/lower/families.hpp"
#include "compiler/lower/lower.hpp"

namespace vmforge {
namespace {

qmp::VfioDeviceAdd vfio_device(const Vm& vm, const PciLayout& layout, const Vfio& v) {
  qmp::VfioDeviceAdd d;
  switch (v.kind) {
    case VfioKind::pci: d.driver = "vfio-pci"; break;
    case VfioKind::ccw: d.driver = "vfio-ccw"; break;
    case VfioKind::ap: d.driver = "vfio-ap"; break;
  }
  d.id = v.id.str();
  if (v.kind != VfioKind::ap) d.placement = placement_of(vm, layout, v.id, v.placement);
  if (v.host) d.host = v.host->to_string();
  d.sysfsdev = v.sysfsdev.value_or("");
  d.vendor_id = v.vendor_id;
  d.device_id = v.device_id;
  return d;
}

qmp::VsockDeviceAdd vsock_device(const Vm& vm, const PciLayout& layout, const Vsock& v) {
  // vhostfd is a string property: an inherited fd number (or a getfd name).
  return {virtio_driver("vhost-vsock", v.placement.transport), v.id.str(), placement_of(vm, layout, v.id, v.placement),
          v.cid, v.vhost_fd ? fmt::format("{}", *v.vhost_fd) : ""};
}

void lower_balloon_and_rng(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& b : vm.balloons) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", virtio_driver("virtio-balloon", b.placement.transport)).field("id", b.id.str());
              write_placement(w, vm, ctx.layout(), b.id, b.placement);
              if (b.deflate_on_oom) w.field("deflate-on-oom", true);
              if (b.free_page_reporting) w.field("free-page-reporting", true);
            }));
  }
  for (const auto& r : vm.rngs) {
    ctx.arg("-object", json_object([&](JsonWriter& w) {
              w.field("qom-type", "rng-random").field("id", r.id.derived("rng")).field("filename", r.source);
            }));
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", virtio_driver("virtio-rng", r.placement.transport)).field("id", r.id.str());
              write_placement(w, vm, ctx.layout(), r.id, r.placement);
              w.field("rng", r.id.derived("rng"));
              if (r.max_bytes) w.field("max-bytes", *r.max_bytes);
              if (r.period_ms) w.field("period", *r.period_ms);
            }));
  }
}

void lower_seed(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  const auto fd = cloud_init_seed_fd(vm);
  if (!fd) return;
  const DeviceId& id = vm.cloud_init->id;
  // The image is built at run time; QEMU reads it from an inherited fd through an fd set, so
  // the argv does not depend on where the supervisor keeps it.
  ctx.kv("-add-fd", KvOption().add("fd", std::uint64_t(*fd)).add("set", std::uint64_t(*fd)).add("opaque", id.str()),
         "cloud_init");
  ctx.arg("-blockdev", json_object([&](JsonWriter& w) {
            w.field("driver", "file").field("node-name", id.derived("file"));
            w.field("filename", fmt::format("/dev/fdset/{}", *fd)).field("read-only", true);
          }));
  ctx.arg("-blockdev", json_object([&](JsonWriter& w) {
            w.field("driver", "raw").field("node-name", id.derived("fmt")).field("file", id.derived("file"));
            w.field("read-only", true);
          }));
  const Placement placement = seed_placement(vm);
  ctx.arg("-device", json_object([&](JsonWriter& w) {
            w.field("driver", virtio_driver("virtio-blk", placement.transport)).field("id", id.str());
            write_placement(w, vm, ctx.layout(), id, placement);
            w.field("drive", id.derived("fmt"));
          }));
}

void lower_platform(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& p : vm.pvpanics) {
    ctx.arg("-device", json_object([&](JsonWriter& w) { w.field("driver", "pvpanic").field("id", p.id.str()); }));
  }
  for (const auto& l : vm.loaders) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "loader").field("id", l.id.str()).field("file", l.file);
              if (l.addr) w.field("addr", *l.addr);
              if (l.cpu_num) w.field("cpu-num", *l.cpu_num);
              if (l.force_raw) w.field("force-raw", true);
            }));
  }
}

}  // namespace

namespace {

int highest_inherited_fd(const Vm& vm) {
  int highest = kQmpListenFd;
  for (const auto& n : vm.nets) {
    for (int fd : n.fds) highest = std::max(highest, fd);
    for (int fd : n.vhost_fds) highest = std::max(highest, fd);
  }
  for (const auto& v : vm.vsocks) highest = std::max(highest, v.vhost_fd.value_or(0));
  if (vm.incoming && vm.incoming->kind == IncomingKind::fd) highest = std::max(highest, vm.incoming->fd);
  return highest;
}

}  // namespace

std::optional<int> cloud_init_seed_fd(const Vm& vm) {
  if (!vm.cloud_init) return std::nullopt;
  return highest_inherited_fd(vm) + 1;
}

std::optional<int> console_listen_fd(const Vm& vm) {
  for (const Serial& s : vm.serials) {
    if (s.backend == CharBackend::console) return highest_inherited_fd(vm) + (vm.cloud_init ? 2 : 1);
  }
  return std::nullopt;
}

int first_passed_fd(const Vm& vm) {
  return highest_inherited_fd(vm) + 1 + (vm.cloud_init ? 1 : 0) + (console_listen_fd(vm) ? 1 : 0);
}

void lower_devices(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& v : vm.vfios) {
    if (!v.hotplug) ctx.arg("-device", qmp::arguments(vfio_device(vm, ctx.layout(), v)));
  }
  for (const auto& v : vm.vsocks) {
    if (!v.hotplug) ctx.arg("-device", qmp::arguments(vsock_device(vm, ctx.layout(), v)));
  }
  lower_balloon_and_rng(ctx);
  lower_seed(ctx);
  lower_platform(ctx);
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Vfio& v) {
  return {device_add_step(resource_name(ResourceKind::vfio, v.id), v.id.str(),
                          qmp::device_add(vfio_device(vm, layout, v)))};
}

std::vector<PlanStep> unplug(const Vfio& v) {
  return {device_del_step(resource_name(ResourceKind::vfio, v.id), v.id.str())};
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Vsock& v) {
  return {device_add_step(resource_name(ResourceKind::vsock, v.id), v.id.str(),
                          qmp::device_add(vsock_device(vm, layout, v)))};
}

std::vector<PlanStep> unplug(const Vsock& v) {
  return {device_del_step(resource_name(ResourceKind::vsock, v.id), v.id.str())};
}

}  // namespace vmforge
