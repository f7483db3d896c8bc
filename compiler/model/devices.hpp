// The device part of the validated model (model.hpp): one struct per manifest device table.
// Every device has a unique `id` (one namespace for all kinds); `hotplug` is present where the
// device kind can be added live.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/model/enums.hpp"
#include "compiler/model/io_limits.hpp"
#include "compiler/model/units.hpp"

namespace vmforge {

/// How a piece of guest memory is backed (main RAM, a DIMM, an NVDIMM).
struct MemoryBackend {
  MemoryBackendKind kind = MemoryBackendKind::ram;
  std::optional<std::string> path;  // kind == file: mem-path (absolute)
  bool shared = false;              // share=on (required by vhost-user devices)
  bool prealloc = false;
  bool hugepages = false;  // memfd: hugetlb=on; file: path is on hugetlbfs
  bool operator==(const MemoryBackend&) const = default;
};

/// Where and how a virtio/PCI device attaches (keys shared by most device tables).
struct Placement {
  Transport transport = Transport::pci;  // resolved: microvm -> mmio, s390 -> ccw, else pci
  std::optional<DeviceId> bus;           // a [[pcie_root_port]] / [[pci_bridge]] id (PCI only)
  std::optional<PciAddress> addr;        // PCI only
  bool disable_modern = false;           // PCI virtio only
  std::optional<std::string> romfile;    // PCI only; "" disables the option ROM
  std::optional<std::string> devno;      // CCW only: "fe.0.1234"
  bool operator==(const Placement&) const = default;
};

/// `[[iothread]]`.
struct IoThread {
  DeviceId id;
  bool operator==(const IoThread&) const = default;
};

/// `[[throttle_group]]`: I/O limits the disks that name it share (a throttle-group object).
struct ThrottleGroup {
  DeviceId id;
  IoLimits limits;
  bool operator==(const ThrottleGroup&) const = default;
};

/// `[[disk]]`.
/// `backing = {file, format}` of a [[disk]]: the image below a copy-on-write one, opened
/// read-only as nodes of its own. Image headers never choose it (D7).
struct DiskBacking {
  std::string file;  // absolute
  DiskFormat format = DiskFormat::raw;
  bool operator==(const DiskBacking&) const = default;
};

/// A snapshot's overlay above a disk's `file` (README, "Snapshots"): never written in the
/// manifest; the supervisor fills Disk::layers from its chain record, so lowering stays pure.
struct DiskLayer {
  std::string file;  // absolute, qcow2
  std::string node;  // its format node (its file node: node + "-file"), fixed when it was made
  bool operator==(const DiskLayer&) const = default;
};

struct Disk {
  DeviceId id;
  std::string file;  // absolute (need not exist at compile time)
  DiskFormat format = DiskFormat::raw;
  std::optional<DiskBacking> backing;  // absent: "backing": null for formats that have one
  std::optional<ByteSize> size;        // raw/qcow2, writable: created when missing, grown live
  DiskBus bus = DiskBus::virtio;
  DiskMedia media = DiskMedia::disk;
  std::optional<DeviceId> controller;  // bus == scsi: a [[scsi_controller]] id (resolved)
  std::optional<std::uint32_t> lun;    // bus == scsi
  DiskAio aio = DiskAio::threads;
  DiskCache cache = DiskCache::writeback;
  bool readonly = false;  // cdrom media is always readonly
  bool share_rw = false;
  std::optional<bool> write_cache;          // absent: derived from cache
  bool discard = false;                     // discard=unmap
  std::optional<std::string> serial;        // printable ASCII, at most 20 characters
  std::optional<DeviceId> iothread;         // virtio only; an [[iothread]] id
  std::optional<std::uint32_t> num_queues;  // virtio only
  std::optional<bool> config_wce;           // virtio only: the guest may toggle the write cache
  std::optional<std::uint32_t> boot_index;  // never together with hotplug
  Placement placement;                      // virtio only (scsi/ide disks sit on their bus)
  IoLimits limits;                          // its own limits (a group of its own); not with throttle_group
  std::optional<DeviceId> throttle_group;   // a [[throttle_group]] id
  bool hotplug = false;
  std::vector<DiskLayer> layers;  // overlays above `file`, bottom first; the last one is written
  bool operator==(const Disk&) const = default;
};

/// `[[scsi_controller]]`: virtio-scsi.
struct ScsiController {
  DeviceId id;
  std::optional<DeviceId> iothread;
  std::optional<std::uint32_t> num_queues;
  Placement placement;
  bool hotplug = false;
  bool operator==(const ScsiController&) const = default;
};

/// `[[net]]`.
struct Net {
  DeviceId id;
  NetBackend backend = NetBackend::user;
  MacAddr mac;                            // given, or derived deterministically from name+id
  bool mac_derived = false;               // true when the manifest did not set `mac`
  std::optional<std::string> ifname;      // tap/macvtap/ipvtap/veth-tap
  std::optional<std::string> script;      // tap: absolute; absent means script=no
  std::optional<std::string> downscript;  // tap: absolute; absent means downscript=no
  bool vhost = false;                     // tap family only
  std::uint32_t queues = 1;               // > 1: multiqueue
  std::vector<int> fds;                   // pre-opened tap fds vmforge inherits (>= 4)
  std::vector<int> vhost_fds;             // pre-opened vhost-net fds (need vhost)
  std::optional<std::string> socket;      // vhost-user: socket path (absolute)
  std::optional<HostPciAddress> host;     // vfio: host PCI function
  std::vector<std::string> hostfwd;       // user: "tcp:127.0.0.1:2222-:22"
  bool link_up = true;                    // `link = "up" | "down"`, changeable live
  Placement placement;
  bool hotplug = false;
  bool operator==(const Net&) const = default;
};

/// `[[virtio_serial]]`: virtio-serial controller for virtconsole/virtserialport frontends.
struct VirtioSerial {
  DeviceId id;
  std::optional<std::uint32_t> max_ports;
  Placement placement;
  bool hotplug = false;
  bool operator==(const VirtioSerial&) const = default;
};

/// `[[serial]]`: a character device backend with its guest frontend.
struct Serial {
  DeviceId id;
  CharBackend backend = CharBackend::pty;
  std::optional<std::string> path;  // file/pipe/socket/tty: absolute
  bool server = true;               // socket: listen (server=on,wait=off) or connect
  SerialFrontend frontend = SerialFrontend::serial;
  std::optional<DeviceId> controller;  // virtconsole/virtserialport: resolved controller id
  std::optional<std::string> name;     // virtserialport: port name ("org.qemu.guest_agent.0")
  bool hotplug = false;                // virtconsole/virtserialport only
  bool operator==(const Serial&) const = default;
};

/// `[[fs_9p]]`: virtio-9p with its `-fsdev local` (the handle driver was removed in QEMU 3.1,
/// proxy is deprecated).
struct Fs9p {
  DeviceId id;
  std::string path;  // absolute host directory
  std::string tag;   // mount tag, at most 255 bytes
  Fs9pSecurityModel security_model = Fs9pSecurityModel::mapped_xattr;
  std::optional<Fs9pMultidev> multidev;
  bool readonly = false;
  Placement placement;
  bool operator==(const Fs9p&) const = default;
};

/// `[[virtio_fs]]`: vhost-user-fs talking to a virtiofsd socket. Needs shared guest memory.
struct VirtioFs {
  DeviceId id;
  std::string socket;                       // absolute
  std::string tag;                          // at most 36 bytes
  std::optional<std::uint32_t> queue_size;  // power of two
  Placement placement;
  bool hotplug = false;
  bool operator==(const VirtioFs&) const = default;
};

/// `[[vhost_user]]`: vhost-user-blk / vhost-user-scsi (net is [[net]] backend "vhost-user",
/// fs is [[virtio_fs]]). Needs shared guest memory.
struct VhostUser {
  DeviceId id;
  VhostUserKind kind = VhostUserKind::blk;
  std::string socket;  // absolute
  std::optional<std::uint32_t> num_queues;
  std::optional<std::uint32_t> boot_index;  // blk only
  Placement placement;
  bool hotplug = false;
  bool operator==(const VhostUser&) const = default;
};

/// `[[vfio]]`: host device passthrough.
struct Vfio {
  DeviceId id;
  VfioKind kind = VfioKind::pci;
  std::optional<HostPciAddress> host;      // pci: host function
  std::optional<std::string> sysfsdev;     // ccw/ap (and mdev on pci): absolute sysfs path
  std::optional<std::uint16_t> vendor_id;  // pci: x-pci-vendor-id
  std::optional<std::uint16_t> device_id;  // pci: x-pci-device-id
  Placement placement;
  bool hotplug = false;
  bool operator==(const Vfio&) const = default;
};

/// `[[vsock]]`: vhost-vsock.
struct Vsock {
  DeviceId id;
  std::uint32_t cid = 3;        // 3 .. 2^32-2
  std::optional<int> vhost_fd;  // pre-opened /dev/vhost-vsock fd (>= 4)
  Placement placement;
  bool hotplug = false;
  bool operator==(const Vsock&) const = default;
};

/// `[[balloon]]` (at most one).
struct Balloon {
  DeviceId id;
  bool deflate_on_oom = false;
  bool free_page_reporting = false;
  /// The memory the guest is asked to keep (QMP `balloon`; a multiple of 4 KiB, at most
  /// [memory] size); absent: the balloon stays empty (all RAM, DIMMs included).
  std::optional<ByteSize> target;
  Placement placement;
  bool operator==(const Balloon&) const = default;
};

// What an absent [[rng]] source means.
inline constexpr std::string_view kDefaultRngSource = "/dev/urandom";

/// `[[rng]]`: virtio-rng fed by rng-random.
struct Rng {
  DeviceId id;
  std::string source{kDefaultRngSource};   // absolute
  std::optional<std::uint64_t> max_bytes;  // per period
  std::optional<std::uint32_t> period_ms;
  Placement placement;
  bool operator==(const Rng&) const = default;
};

/// `[[pcie_root_port]]`: an explicit root port (q35). `[machine] hotplug_slots` adds more.
struct PcieRootPort {
  DeviceId id;
  std::uint8_t chassis = 0;  // (chassis, slot) unique across ports
  std::uint16_t slot = 0;
  std::optional<PciAddress> addr;  // on pcie.0
  bool multifunction = false;
  std::optional<std::uint32_t> bus_reserve;
  std::optional<ByteSize> io_reserve;
  std::optional<ByteSize> mem_reserve;
  std::optional<ByteSize> pref32_reserve;  // not together with pref64_reserve
  std::optional<ByteSize> pref64_reserve;
  std::optional<std::string> romfile;
  bool operator==(const PcieRootPort&) const = default;
};

/// `[[pci_bridge]]`: pci-bridge (chassis_nr, shpc) or pcie-pci-bridge.
struct PciBridge {
  DeviceId id;
  BridgeKind kind = BridgeKind::pci;
  std::uint8_t chassis = 1;     // pci: 1..255, unique
  bool shpc = false;            // pci only
  std::optional<DeviceId> bus;  // a root port/bridge id; absent: root bus
  std::optional<PciAddress> addr;
  std::optional<ByteSize> io_reserve;
  std::optional<ByteSize> mem_reserve;
  std::optional<ByteSize> pref64_reserve;
  std::optional<std::string> romfile;
  bool operator==(const PciBridge&) const = default;
};

/// `[[loader]]`: generic loader (a blob or ELF into guest memory).
struct Loader {
  DeviceId id;
  std::string file;                   // absolute
  std::optional<std::uint64_t> addr;  // load address
  std::optional<std::uint32_t> cpu_num;
  bool force_raw = false;
  bool operator==(const Loader&) const = default;
};

/// `[[intel_iommu]]` (q35, at most one).
struct IntelIommu {
  DeviceId id;
  bool intremap = false;
  bool device_iotlb = false;
  bool caching_mode = false;
  bool operator==(const IntelIommu&) const = default;
};

/// `[[pvpanic]]` (ISA pvpanic, x86, at most one).
struct PvPanic {
  DeviceId id;
  bool operator==(const PvPanic&) const = default;
};

/// `[[dimm]]`: a pc-dimm with its own backend; needs [memory] slots/max.
struct Dimm {
  DeviceId id;
  ByteSize size;
  MemoryBackend backend;
  bool hotplug = false;
  bool operator==(const Dimm&) const = default;
};

/// `[[nvdimm]]`: an nvdimm on a memory-backend-file; needs [memory] slots/max.
struct Nvdimm {
  DeviceId id;
  std::string path;  // absolute
  ByteSize size;
  bool shared = true;
  bool pmem = false;      // backend pmem=on (host file is on real pmem)
  bool readonly = false;  // backend readonly=on + device unarmed=on
  bool operator==(const Nvdimm&) const = default;
};

}  // namespace vmforge
