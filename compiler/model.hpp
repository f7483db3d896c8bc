// The validated VM model (`Vm`): what a manifest means, with every default resolved, every
// reference checked and every path absolute. Value types only; no toml++ past the loader.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/model_enums.hpp"
#include "compiler/units.hpp"

namespace vmforge {

// ---------------------------------------------------------------------------------------------
// Machine-wide settings
// ---------------------------------------------------------------------------------------------

/// `[machine]`.
struct Machine {
  std::string type = "q35";                // QEMU machine name as written ("q35", "pc-q35-7.2")
  MachineFamily family = MachineFamily::q35;  // derived from `type`
  std::vector<Accel> accel{Accel::kvm, Accel::tcg};  // first that works on the host
  /// `[machine.options]`: extra -machine properties, sorted by key; booleans are "on"/"off",
  /// integers decimal. Values are raw user strings (the lowering escapes them).
  std::vector<std::pair<std::string, std::string>> options;
  /// q35: pcie-root-ports reserved for devices added live (0 on other families).
  std::uint32_t hotplug_slots = 0;
  std::optional<Vga> vga;                  // absent: no VGA device (-vga is not emitted)
  bool operator==(const Machine&) const = default;
};

/// `[cpu]`. The topology is fully resolved: sockets*dies*cores*threads == max.
struct Cpu {
  std::uint32_t count = 1;                 // vCPUs online at boot
  std::uint32_t max = 1;                   // >= count; > count enables CPU hotplug
  std::uint32_t sockets = 1;
  std::uint32_t dies = 1;
  std::uint32_t cores = 1;
  std::uint32_t threads = 1;
  std::optional<std::string> model;        // `-cpu` model ("host", "qemu64"); absent: QEMU default
  std::vector<std::string> features;       // "+avx2", "-svm": appended to the model
  bool operator==(const Cpu&) const = default;
};

/// How a piece of guest memory is backed (main RAM, a DIMM, an NVDIMM).
struct MemoryBackend {
  MemoryBackendKind kind = MemoryBackendKind::ram;
  std::optional<std::string> path;         // kind == file: mem-path (absolute)
  bool shared = false;                     // share=on (required by vhost-user devices)
  bool prealloc = false;
  bool hugepages = false;                  // memfd: hugetlb=on; file: path is on hugetlbfs
  bool operator==(const MemoryBackend&) const = default;
};

/// `[memory]`.
struct Memory {
  ByteSize size{512ull << 20};
  std::optional<ByteSize> max;             // set together with slots: DIMM hotplug up to max
  std::uint32_t slots = 0;
  /// The main RAM backend. When the manifest sets nothing special this is plain RAM and the
  /// lowering may use `-m` alone.
  MemoryBackend backend;
  bool operator==(const Memory&) const = default;
};

/// `[kernel]`: direct kernel boot.
struct Kernel {
  std::string path;                        // absolute
  std::optional<std::string> initrd;       // absolute
  std::optional<std::string> cmdline;      // passed verbatim to -append
  bool operator==(const Kernel&) const = default;
};

/// `[firmware]`.
struct Firmware {
  std::optional<std::string> bios;         // absolute
  std::vector<std::string> pflash;         // at most 2, absolute, unit order
  bool operator==(const Firmware&) const = default;
};

/// `[rtc]`.
struct Rtc {
  RtcBase base = RtcBase::utc;
  std::optional<std::string> datetime;     // base == datetime: "2006-06-17T16:01:21" or "2006-06-17"
  RtcClock clock = RtcClock::host;
  RtcDriftFix driftfix = RtcDriftFix::none;
  bool operator==(const Rtc&) const = default;
};

/// `[[global]]`: one `-global driver.property=value`.
struct GlobalParam {
  std::string driver;                      // [A-Za-z0-9_.-]+
  std::string property;                    // [A-Za-z0-9_.-]+
  std::string value;                       // raw (escaped by the lowering)
  bool operator==(const GlobalParam&) const = default;
};

/// `[knobs]`: process-level switches. Defaults suit a supervised headless VM.
struct Knobs {
  bool no_user_config = true;              // -no-user-config
  bool no_defaults = true;                 // -nodefaults
  bool no_graphic = true;                  // no display (-display none; never stdio serial)
  bool no_reboot = false;                  // -no-reboot
  bool no_shutdown = false;                // -no-shutdown
  bool stopped = false;                    // stay paused after start-up: no `cont`
  bool mlock = false;                      // -overcommit mem-lock=on
  bool iommu_platform = false;             // iommu_platform=on on virtio-ccw devices
  bool operator==(const Knobs&) const = default;
};

/// `[sandbox]`: present means `-sandbox on,...`.
struct Sandbox {
  SandboxPolicy obsolete = SandboxPolicy::deny;
  SandboxPolicy elevate_privileges = SandboxPolicy::deny;
  SandboxPolicy spawn = SandboxPolicy::deny;
  SandboxPolicy resource_control = SandboxPolicy::deny;
  bool operator==(const Sandbox&) const = default;
};

/// `[incoming]`: start as a migration target (implies -S).
struct Incoming {
  IncomingKind kind = IncomingKind::defer;
  int fd = -1;                             // kind == fd: an fd vmforge inherits (>= 3)
  std::string command;                     // kind == exec: shell command
  std::string uri;                         // kind == uri: "unix:/path", "tcp:host:port", ...
  bool operator==(const Incoming&) const = default;
};

/// `[[fw_cfg]]`: several entries allowed, names unique, each with a file or a string.
struct FwCfg {
  std::string name;                        // "opt/..." 
  std::optional<std::string> file;         // absolute; exactly one of file/string
  std::optional<std::string> string;
  bool operator==(const FwCfg&) const = default;
};

/// `[[qmp_socket]]`: an extra QMP monitor for other tools (the supervisor has its own).
struct QmpSocket {
  std::string path;                        // absolute; server=on,wait=off
  bool operator==(const QmpSocket&) const = default;
};

/// `[qemu]`: the binary and process-level outputs.
struct Qemu {
  std::string binary = "qemu-system-x86_64";  // a name looked up in PATH, or an absolute path
  std::optional<std::string> pidfile;      // absolute
  std::optional<std::string> logfile;      // absolute; QEMU's -D debug log
  /// Raw arguments appended to the argv as given: the escape hatch. vmforge cannot check
  /// them; `compile`/`plan` show them loudly.
  std::vector<std::string> extra_args;
  bool operator==(const Qemu&) const = default;
};

/// `[supervisor]`.
struct Supervisor {
  /// After system_powerdown, how long to wait for the guest before `quit`, then SIGKILL.
  Duration shutdown_timeout{std::chrono::seconds(30)};
  bool operator==(const Supervisor&) const = default;
};

/// `[confidential_guest]`: SEV/TDX/s390 PV/PEF object (govmm Object types).
struct ConfidentialGuest {
  DeviceId id{"vmforge-cg"};
  ConfidentialKind kind = ConfidentialKind::sev;
  std::optional<std::string> firmware;     // sev: pflash OVMF, tdx: TDVF loader (absolute)
  std::uint32_t cbitpos = 0;               // sev: required, 1..63
  std::uint32_t reduced_phys_bits = 0;     // sev: required, 1..63
  bool debug = false;                      // tdx
  std::optional<std::string> host_path;    // pef: spapr-tpm-proxy host-path (absolute)
  bool operator==(const ConfidentialGuest&) const = default;
};

/// `[cloud_init]`: a seed image (NoCloud "cidata" or ConfigDrive "config-2") that the
/// supervisor builds at run time from these files and attaches read-only as a cdrom.
struct CloudInit {
  DeviceId id{"vmforge-seed"};
  CloudInitFormat format = CloudInitFormat::nocloud;
  std::string user_data;                   // absolute
  std::string meta_data;                   // absolute
  std::optional<std::string> network_config;  // absolute
  bool operator==(const CloudInit&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Devices. Every device has a unique `id` (one namespace for all kinds); `hotplug` is present
// where the device kind can be added live.
// ---------------------------------------------------------------------------------------------

/// Where and how a virtio/PCI device attaches (keys shared by most device tables).
struct Placement {
  Transport transport = Transport::pci;    // resolved: microvm -> mmio, s390 -> ccw, else pci
  std::optional<DeviceId> bus;             // a [[pcie_root_port]] / [[pci_bridge]] id (PCI only)
  std::optional<PciAddress> addr;          // PCI only
  bool disable_modern = false;             // PCI virtio only
  std::optional<std::string> romfile;      // PCI only; "" disables the option ROM
  std::optional<std::string> devno;        // CCW only: "fe.0.1234"
  bool operator==(const Placement&) const = default;
};

/// `[[iothread]]`.
struct IoThread {
  DeviceId id;
  bool operator==(const IoThread&) const = default;
};

/// `[[disk]]`.
struct Disk {
  DeviceId id;
  std::string file;                        // absolute (need not exist at compile time)
  DiskFormat format = DiskFormat::raw;
  DiskBus bus = DiskBus::virtio;
  DiskMedia media = DiskMedia::disk;
  std::optional<DeviceId> controller;      // bus == scsi: a [[scsi_controller]] id (resolved)
  std::optional<std::uint32_t> lun;        // bus == scsi
  DiskAio aio = DiskAio::threads;
  DiskCache cache = DiskCache::writeback;
  bool readonly = false;                   // cdrom media is always readonly
  bool share_rw = false;
  std::optional<bool> write_cache;         // absent: derived from cache
  bool discard = false;                    // discard=unmap
  std::optional<std::string> serial;       // printable ASCII, at most 20 characters
  std::optional<DeviceId> iothread;        // virtio only; an [[iothread]] id
  std::optional<std::uint32_t> num_queues; // virtio only
  std::optional<std::uint32_t> boot_index; // never together with hotplug
  Placement placement;                     // virtio only (scsi/ide disks sit on their bus)
  bool hotplug = false;
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
  MacAddr mac;                             // given, or derived deterministically from name+id
  bool mac_derived = false;                // true when the manifest did not set `mac`
  std::optional<std::string> ifname;       // tap/macvtap/ipvtap/veth-tap
  std::optional<std::string> script;       // tap: absolute; absent means script=no
  std::optional<std::string> downscript;   // tap: absolute; absent means downscript=no
  bool vhost = false;                      // tap family only
  std::uint32_t queues = 1;                // > 1: multiqueue
  std::vector<int> fds;                    // pre-opened tap fds vmforge inherits (>= 3)
  std::vector<int> vhost_fds;              // pre-opened vhost-net fds (need vhost)
  std::optional<std::string> socket;       // vhost-user: socket path (absolute)
  std::optional<HostPciAddress> host;      // vfio: host PCI function
  std::vector<std::string> hostfwd;        // user: "tcp:127.0.0.1:2222-:22"
  bool link_up = true;                     // `link = "up" | "down"`, changeable live
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
  std::optional<std::string> path;         // file/pipe/socket/tty: absolute
  bool server = true;                      // socket: listen (server=on,wait=off) or connect
  SerialFrontend frontend = SerialFrontend::serial;
  std::optional<DeviceId> controller;      // virtconsole/virtserialport: resolved controller id
  std::optional<std::string> name;         // virtserialport: port name ("org.qemu.guest_agent.0")
  bool hotplug = false;                    // virtconsole/virtserialport only
  bool operator==(const Serial&) const = default;
};

/// `[[fs_9p]]`: virtio-9p with its `-fsdev local` (the handle driver was removed in QEMU 3.1,
/// proxy is deprecated).
struct Fs9p {
  DeviceId id;
  std::string path;                        // absolute host directory
  std::string tag;                         // mount tag, at most 255 bytes
  Fs9pSecurityModel security_model = Fs9pSecurityModel::mapped_xattr;
  std::optional<Fs9pMultidev> multidev;
  bool readonly = false;
  Placement placement;
  bool operator==(const Fs9p&) const = default;
};

/// `[[virtio_fs]]`: vhost-user-fs talking to a virtiofsd socket. Needs shared guest memory.
struct VirtioFs {
  DeviceId id;
  std::string socket;                      // absolute
  std::string tag;                         // at most 36 bytes
  std::optional<std::uint32_t> queue_size; // power of two
  Placement placement;
  bool hotplug = false;
  bool operator==(const VirtioFs&) const = default;
};

/// `[[vhost_user]]`: vhost-user-blk / vhost-user-scsi (net is [[net]] backend "vhost-user",
/// fs is [[virtio_fs]]). Needs shared guest memory.
struct VhostUser {
  DeviceId id;
  VhostUserKind kind = VhostUserKind::blk;
  std::string socket;                      // absolute
  std::optional<std::uint32_t> num_queues;
  std::optional<std::uint32_t> boot_index; // blk only
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
  std::uint32_t cid = 3;                   // 3 .. 2^32-2
  std::optional<int> vhost_fd;             // pre-opened /dev/vhost-vsock fd (>= 3)
  Placement placement;
  bool hotplug = false;
  bool operator==(const Vsock&) const = default;
};

/// `[[balloon]]` (at most one).
struct Balloon {
  DeviceId id;
  bool deflate_on_oom = false;
  bool free_page_reporting = false;
  Placement placement;
  bool operator==(const Balloon&) const = default;
};

/// `[[rng]]`: virtio-rng fed by rng-random.
struct Rng {
  DeviceId id;
  std::string source = "/dev/urandom";     // absolute
  std::optional<std::uint64_t> max_bytes;  // per period
  std::optional<std::uint32_t> period_ms;
  Placement placement;
  bool operator==(const Rng&) const = default;
};

/// `[[pcie_root_port]]`: an explicit root port (q35). `[machine] hotplug_slots` adds more.
struct PcieRootPort {
  DeviceId id;
  std::uint8_t chassis = 0;                // (chassis, slot) unique across ports
  std::uint16_t slot = 0;
  std::optional<PciAddress> addr;          // on pcie.0
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
  std::uint8_t chassis = 1;                // pci: 1..255, unique
  bool shpc = false;                       // pci only
  std::optional<DeviceId> bus;             // a root port/bridge id; absent: root bus
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
  std::string file;                        // absolute
  std::optional<std::uint64_t> addr;       // load address
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
  std::string path;                        // absolute
  ByteSize size;
  bool shared = true;
  bool pmem = false;                       // backend pmem=on (host file is on real pmem)
  bool readonly = false;                   // backend readonly=on + device unarmed=on
  bool operator==(const Nvdimm&) const = default;
};

// ---------------------------------------------------------------------------------------------
// The VM
// ---------------------------------------------------------------------------------------------

struct Vm {
  std::string name;                        // [A-Za-z0-9_.-]+, at most 64
  std::optional<Uuid> uuid;

  Machine machine;
  Cpu cpu;
  Memory memory;
  std::optional<Kernel> kernel;
  Firmware firmware;
  std::optional<Rtc> rtc;
  std::vector<GlobalParam> globals;
  Knobs knobs;
  std::optional<Sandbox> sandbox;
  std::optional<Incoming> incoming;
  std::vector<FwCfg> fw_cfg;
  std::vector<QmpSocket> qmp_sockets;
  Qemu qemu;
  Supervisor supervisor;
  std::optional<ConfidentialGuest> confidential_guest;
  std::optional<CloudInit> cloud_init;

  std::vector<IoThread> iothreads;
  std::vector<Disk> disks;
  std::vector<ScsiController> scsi_controllers;
  std::vector<Net> nets;
  std::vector<VirtioSerial> virtio_serials;  // includes one synthesised "vmforge-vser" if needed
  std::vector<Serial> serials;
  std::vector<Fs9p> fs_9p;
  std::vector<VirtioFs> virtio_fs;
  std::vector<VhostUser> vhost_users;
  std::vector<Vfio> vfios;
  std::vector<Vsock> vsocks;
  std::vector<Balloon> balloons;
  std::vector<Rng> rngs;
  std::vector<PcieRootPort> pcie_root_ports;
  std::vector<PciBridge> pci_bridges;
  std::vector<Loader> loaders;
  std::vector<IntelIommu> intel_iommus;
  std::vector<PvPanic> pvpanics;
  std::vector<Dimm> dimms;
  std::vector<Nvdimm> nvdimms;

  // -- Where it came from (not part of the VM's meaning: excluded from operator==). --
  std::string source_path;                 // the manifest path as given
  std::string source_text;                 // the manifest bytes
  std::string source_sha256;               // hex SHA-256 of source_text
  /// Position of each table in the manifest, for diagnostics from later stages: single tables
  /// by name ("machine", "memory"), devices by id ("root"; ids are unique across kinds).
  std::map<std::string, SourceLoc> origins;

  /// Equality of meaning: two manifests that differ only in layout/comments compare equal.
  bool same_config(const Vm& other) const;
};

/// The location recorded for `resource`: "machine", "root", or a plan resource name like
/// "disk:root" (looked up by its id). Falls back to {source_path, 0, 0}.
SourceLoc origin_of(const Vm& vm, std::string_view resource);

}  // namespace vmforge
