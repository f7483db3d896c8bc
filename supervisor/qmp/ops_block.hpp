// Typed QMP operations: block nodes and the disk devices on them (virtio-blk, SCSI).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// blockdev-add of a format node over a protocol node:
/// {"driver":format,"node-name":…,"file":{"driver":file_driver,"filename":…},…}.
/// Covers govmm's ExecuteBlockdevAdd / …WithCache / …WithDriverCache.
struct BlockdevAdd {
  std::string node_name;            // ≤ 31 characters
  std::string format = "raw";       // "raw", "qcow2", …
  std::string file_driver = "file"; // "file" for images, "host_device" for block devices
  std::string filename;
  bool read_only = false;
  std::optional<bool> cache_direct;    // O_DIRECT
  std::optional<bool> cache_no_flush;  // ignore flushes
};
Command blockdev_add(const BlockdevAdd& node);
Command blockdev_del(std::string_view node_name);

/// device_add of a disk on a block node (virtio-blk-pci by default). Covers
/// ExecuteDeviceAdd and ExecutePCIDeviceAdd; numbers and booleans are typed (govmm sent
/// "num-queues":"4" and "share-rw":"on").
struct BlockDeviceAdd {
  std::string driver = "virtio-blk-pci";
  std::string id;
  std::string drive;  // node name
  std::string bus;    // e.g. a pcie-root-port id; empty: QEMU picks
  std::string addr;   // "0xSS.0xF"; empty on a root port (endpoints sit at 0)
  std::string serial;
  std::optional<bool> share_rw;
  std::optional<std::uint32_t> num_queues;
  std::optional<bool> disable_modern;
  std::optional<std::string> romfile;  // "" disables the option ROM
};
Command device_add_block(const BlockDeviceAdd& disk);

enum class ScsiDriver { hd, cd };

/// device_add of a SCSI disk on a virtio-scsi controller bus ("scsi0.0"). Covers
/// ExecuteSCSIDeviceAdd; the driver is a type, so an invalid one cannot be asked for.
struct ScsiDeviceAdd {
  ScsiDriver driver = ScsiDriver::hd;
  std::string id;
  std::string drive;
  std::string bus;
  std::optional<std::uint32_t> scsi_id;
  std::optional<std::uint32_t> lun;
  std::optional<bool> share_rw;
};
Command device_add_scsi(const ScsiDeviceAdd& disk);

/// device_add of a virtio-scsi-pci controller; its bus is "<id>.0".
Command device_add_scsi_controller(std::string_view id, std::string_view bus);

}  // namespace vmforge::qmp
