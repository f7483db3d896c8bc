// Typed QMP operations: a device's placement, device_add and device_del, passthrough (VFIO),
// vhost-user and vsock devices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_writer.hpp"
#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

/// How long an unplug may take before the executor gives up on DEVICE_DELETED. Native
/// pciehp needs ~6 s with a booted Linux (qemu-facts §3.1); ACPI hotplug well under 1 s.
inline constexpr std::uint32_t kUnplugTimeoutMs = 10000;

/// Where a device sits and how it presents itself; written right after "driver" and "id".
struct DevicePlacement {
  std::string bus;   // e.g. a pcie-root-port id, "<scsi controller>.0"; empty: QEMU picks
  std::string addr;  // "0xSS.0xF"; empty on a root port (endpoints sit at 0)
  /// Legacy-only virtio: also writes "disable-legacy":"off" (behind a PCIe port legacy mode is
  /// off by default, and QEMU refuses a device with neither mode).
  bool disable_modern = false;
  std::optional<std::string> romfile;  // "" disables the option ROM
  std::string devno;                   // CCW
  bool iommu_platform = false;         // CCW
};
/// Writes `placement`'s members into an object being written (device_add and -device).
void write_placement(JsonWriter& w, const DevicePlacement& placement);
/// A device's argument object begun: "driver", "id" (unless empty) and the placement.
Arguments device_arguments(std::string_view driver, std::string_view id, const DevicePlacement& placement);

/// device_add from a ready argument object ({"driver":…,"id":…,…}).
QmpCall device_add(std::string arguments_json);
/// device_add of a typed device (BlockDeviceAdd, NicDeviceAdd, CpuDeviceAdd, …): the same
/// object as its arguments(), which -device takes too.
template <class Device>
requires requires(const Device& device) { arguments(device); }
QmpCall device_add(const Device& device) { return device_add(arguments(device)); }

/// device_del completing on DEVICE_DELETED whose data.device is `id` (the path-only
/// ".../virtio-backend" event that precedes it does not count), within kUnplugTimeoutMs. The
/// client fails it at once (EIO) when the guest refuses (qmp::awaited_event). Under ACPI
/// hotplug a PCI device is only released by a running guest OS: in prelaunch the event never
/// comes.
QmpCall device_del(std::string_view id);

/// device_add of a VFIO device. Covers ExecuteVFIODeviceAdd, ExecutePCIVFIODeviceAdd
/// (`host` = BDF), ExecutePCIVFIOMediatedDeviceAdd (`sysfsdev`) and
/// ExecuteAPVFIOMediatedDeviceAdd (driver "vfio-ap", no placement).
struct VfioDeviceAdd {
  std::string driver = "vfio-pci";  // "vfio-pci", "vfio-ccw", "vfio-ap"
  std::string id;
  DevicePlacement placement;
  std::string host;                        // "0000:02:00.0"
  std::string sysfsdev;                    // "/sys/bus/mdev/devices/<uuid>"
  std::optional<std::uint16_t> vendor_id;  // x-pci-vendor-id: what the guest sees
  std::optional<std::uint16_t> device_id;  // x-pci-device-id
};
std::string arguments(const VfioDeviceAdd& device);

/// device_add of a vhost-user device on a socket chardev (ExecutePCIVhostUserDevAdd).
struct VhostUserDeviceAdd {
  std::string driver;  // "vhost-user-blk-pci", "vhost-user-fs-pci", "vhost-user-scsi-pci", …
  std::string id;
  DevicePlacement placement;
  std::string chardev;
  std::string tag;  // vhost-user-fs: the mount tag
  /// "num_queues" for vhost-user-scsi, "num-queues" for the others (QEMU's spellings).
  std::optional<std::uint32_t> num_queues;
  std::optional<std::uint32_t> queue_size;  // vhost-user-fs
  std::optional<std::uint32_t> boot_index;
};
std::string arguments(const VhostUserDeviceAdd& device);

/// device_add of vhost-vsock (ExecutePCIVSockAdd); `guest_cid` is a number (govmm sent a
/// string). Needs /dev/vhost-vsock on the host unless `vhostfd` names a passed fd.
struct VsockDeviceAdd {
  std::string driver = "vhost-vsock-pci";
  std::string id;
  DevicePlacement placement;
  std::uint64_t guest_cid = 3;
  std::string vhostfd;  // fd number or getfd name
};
std::string arguments(const VsockDeviceAdd& device);

}  // namespace vmforge::qmp
