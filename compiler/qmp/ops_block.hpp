// Typed QMP operations: block nodes (a protocol node, a format node on it, a backing image),
// the disk devices on them (virtio-blk, SCSI, IDE), SCSI controllers, and removable media.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/qmp/call.hpp"
#include "compiler/qmp/ops_device.hpp"

namespace vmforge::qmp {

/// A node's cache flags; "cache" is written only when one of them is set.
struct BlockdevCache {
  bool direct = false;    // O_DIRECT
  bool no_flush = false;  // ignore flushes
};

/// A protocol node: the file QEMU opens (an image, a host block device, or "/dev/fdset/N"
/// for a file the caller passes). A disk is this node plus a BlockdevFormat on it. With
/// BlockdevFormat, covers govmm's ExecuteBlockdevAdd / …WithCache / …WithDriverCache.
struct BlockdevFile {
  std::string driver = "file";  // "host_device" / "host_cdrom" for block devices
  std::string node_name;        // ≤ 31 characters
  std::string filename;
  std::string aio;  // "threads", "native", "io_uring"; empty: QEMU's default
  BlockdevCache cache;
  bool read_only = false;
  bool discard = false;  // "discard":"unmap"
};

/// A format node over the node named `file`.
struct BlockdevFormat {
  std::string driver = "raw";  // "raw", "qcow2", …
  std::string node_name;
  std::string file;
  /// Formats with a backing chain (qcow2, …): the backing node, or null for none (never what
  /// the image header names). Unset for formats without one: they take no "backing" key.
  std::optional<std::optional<std::string>> backing;
  BlockdevCache cache;
  bool read_only = false;
  bool discard = false;
};

/// A read-only backing image: a format node over `file` whose own chain ends here.
struct BlockdevBacking {
  std::string driver = "qcow2";
  std::string node_name;
  std::string file;
  bool backing_chain = true;  // the format has one: "backing":null
};

/// The argument objects, which -blockdev takes too.
std::string arguments(const BlockdevFile& node);
std::string arguments(const BlockdevFormat& node);
std::string arguments(const BlockdevBacking& node);
QmpCall blockdev_add(const BlockdevFile& node);
QmpCall blockdev_add(const BlockdevFormat& node);
QmpCall blockdev_add(const BlockdevBacking& node);
QmpCall blockdev_del(std::string_view node_name);
/// An external snapshot: format node `overlay` (added without a backing) goes above `node`,
/// taking over its parents and reading it as its backing; `node` is no longer written.
struct BlockdevSnapshot {
  std::string node;
  std::string overlay;
};
/// A transaction of blockdev-snapshot actions: every disk's snapshot is taken at the same
/// instant, or none is.
QmpCall snapshot_transaction(const std::vector<BlockdevSnapshot>& snapshots);
/// Merges node `top` into `base`, the node below it, as job `job_id` on the graph whose root
/// node is `device`. The call ends with the job: BLOCK_JOB_COMPLETED, or, when `top` is the
/// active layer, BLOCK_JOB_READY (then job_complete() switches the graph to `base`).
struct BlockCommit {
  std::string job_id;
  std::string device;
  std::string top;
  std::string base;
  bool active = false;
  std::uint64_t speed = 0;  // bytes per second; 0: as fast as the storage goes
};
QmpCall block_commit(const BlockCommit& commit);
/// Ends a ready active commit: QEMU writes to `base` from now on; the call ends with
/// BLOCK_JOB_COMPLETED.
QmpCall job_complete(std::string_view job_id);
/// Grows (or shrinks: the caller refuses that) the image under a format node to `size` bytes.
QmpCall block_resize(std::string_view node_name, std::uint64_t size);

/// device_add of a disk on a block node. Covers ExecuteDeviceAdd, ExecutePCIDeviceAdd and
/// ExecuteSCSIDeviceAdd; numbers and booleans are typed (govmm sent "num-queues":"4" and
/// "share-rw":"on").
struct BlockDeviceAdd {
  std::string driver = "virtio-blk-pci";  // "scsi-hd", "scsi-cd", "ide-hd", "ide-cd", …
  std::string id;
  DevicePlacement placement;  // a SCSI disk: bus "<controller>.0"
  std::optional<std::uint32_t> scsi_id;
  std::optional<std::uint32_t> lun;
  std::string drive;                        // node name
  std::string iothread;                     // virtio
  std::optional<std::uint32_t> num_queues;  // virtio
  std::optional<bool> config_wce;           // virtio
  std::string serial;
  std::optional<bool> write_cache;  // "on" / "off"
  bool share_rw = false;
  std::optional<std::uint32_t> boot_index;
};
std::string arguments(const BlockDeviceAdd& disk);

/// device_add of a virtio-scsi controller; its bus is "<id>.0".
struct ScsiControllerAdd {
  std::string driver = "virtio-scsi-pci";
  std::string id;
  DevicePlacement placement;
  std::string iothread;
  std::optional<std::uint32_t> num_queues;
};
std::string arguments(const ScsiControllerAdd& controller);

/// Removable media (a cdrom's tray), by device id.
QmpCall blockdev_open_tray(std::string_view id, bool force);
QmpCall blockdev_close_tray(std::string_view id);
QmpCall blockdev_remove_medium(std::string_view id);
QmpCall blockdev_insert_medium(std::string_view id, std::string_view node_name);

}  // namespace vmforge::qmp
