// Typed QMP operations: unplug, passthrough (VFIO), vhost-user and vsock devices, and a plain
// device_add for drivers without a typed builder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// device_del completing on DEVICE_DELETED whose data.device is `id` (the path-only
/// ".../virtio-backend" event that precedes it does not count). Fails at once (EIO) when the
/// guest refuses: ACPI_DEVICE_OST for the eject with a failure status (a DIMM whose memory is
/// in use answers 130) or DEVICE_UNPLUG_GUEST_ERROR. Under ACPI hotplug a PCI device is only
/// released by a running guest OS: in prelaunch the event never comes.
Command device_del(std::string_view id);

/// device_add from a ready argument object ({"driver":…,"id":…,…}).
Command device_add(std::string arguments_json);

/// device_add of a VFIO device. Covers ExecuteVFIODeviceAdd, ExecutePCIVFIODeviceAdd
/// (`host` = BDF), ExecutePCIVFIOMediatedDeviceAdd (`sysfsdev`) and
/// ExecuteAPVFIOMediatedDeviceAdd (driver "vfio-ap", no id: it cannot be unplugged by id).
struct VfioDeviceAdd {
  std::string driver = "vfio-pci";  // "vfio-pci", "vfio-ccw", "vfio-ap"
  std::string id;
  std::string host;      // "0000:02:00.0"
  std::string sysfsdev;  // "/sys/bus/mdev/devices/<uuid>"
  std::string bus;
  std::string addr;
  std::optional<std::string> romfile;
};
Command device_add_vfio(const VfioDeviceAdd& device);

/// device_add of a vhost-user device on a socket chardev (ExecutePCIVhostUserDevAdd).
struct VhostUserDeviceAdd {
  std::string driver;  // "vhost-user-blk-pci", "vhost-user-fs-pci", "vhost-user-scsi-pci", …
  std::string id;
  std::string chardev;
  std::string bus;
  std::string addr;
  std::string tag;  // vhost-user-fs: the mount tag
  std::optional<std::uint32_t> num_queues;
};
Command device_add_vhost_user(const VhostUserDeviceAdd& device);

/// device_add of vhost-vsock-pci (ExecutePCIVSockAdd); `guest_cid` is a number (govmm sent a
/// string). Needs /dev/vhost-vsock on the host unless `vhostfd` names a passed fd.
struct VsockDeviceAdd {
  std::string id;
  std::uint64_t guest_cid = 3;
  std::string vhostfd;  // fd number or getfd name
  std::string bus;
  std::string addr;
  std::optional<bool> disable_modern;
  std::optional<std::string> romfile;
};
Command device_add_vsock(const VsockDeviceAdd& device);

}  // namespace vmforge::qmp
