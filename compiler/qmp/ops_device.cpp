// Placement, device_add/device_del, VFIO, vhost-user and vsock builders.
#include "compiler/qmp/ops_device.hpp"

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {

void write_placement(JsonWriter& w, const DevicePlacement& placement) {
  if (!placement.bus.empty()) w.field("bus", placement.bus);
  if (!placement.addr.empty()) w.field("addr", placement.addr);
  if (placement.disable_modern) w.field("disable-modern", true).field("disable-legacy", "off");
  if (placement.romfile) w.field("romfile", *placement.romfile);
  if (!placement.devno.empty()) w.field("devno", placement.devno);
  if (placement.iommu_platform) w.field("iommu_platform", true);
}

Arguments device_arguments(std::string_view driver, std::string_view id, const DevicePlacement& placement) {
  Arguments a;
  a.set("driver", driver).set_if("id", id);
  write_placement(a.writer(), placement);
  return a;
}

QmpCall device_add(std::string arguments_json) { return {"device_add", std::move(arguments_json)}; }

QmpCall device_del(std::string_view id) {
  return {"device_del", Arguments().set("id", id).take(),
          Completion{Completion::Kind::event, "DEVICE_DELETED", std::string(id), kUnplugTimeoutMs}};
}

std::string arguments(const VfioDeviceAdd& device) {
  Arguments a = device_arguments(device.driver, device.id, device.placement);
  a.set_if("host", device.host).set_if("sysfsdev", device.sysfsdev);
  if (device.vendor_id) a.set("x-pci-vendor-id", unsigned{*device.vendor_id});
  if (device.device_id) a.set("x-pci-device-id", unsigned{*device.device_id});
  return a.take();
}

std::string arguments(const VhostUserDeviceAdd& device) {
  Arguments a = device_arguments(device.driver, device.id, device.placement);
  const bool scsi = device.driver.starts_with("vhost-user-scsi");
  a.set("chardev", device.chardev)
      .set_if("tag", device.tag)
      .set_if(scsi ? "num_queues" : "num-queues", device.num_queues)
      .set_if("queue-size", device.queue_size)
      .set_if("bootindex", device.boot_index);
  return a.take();
}

std::string arguments(const VsockDeviceAdd& device) {
  Arguments a = device_arguments(device.driver, device.id, device.placement);
  a.set("guest-cid", device.guest_cid).set_if("vhostfd", device.vhostfd);
  return a.take();
}

}  // namespace vmforge::qmp
