// The key table of the manifest (one entry per table; the schema mirrors it, a test checks).
#include "compiler/manifest/keys.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "compiler/model/model.hpp"

namespace vmforge {

namespace {

/// The names of enum E as a constexpr array of string_view, for KeySpec::choices().
template <class E>
struct Choices {
  static constexpr auto kList = [] {
    std::array<std::string_view, EnumTable<E>::kNames.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = EnumTable<E>::kNames[i].name;
    return names;
  }();
};

template <class E>
constexpr std::span<const std::string_view> names_of() {
  return Choices<E>::kList;
}

/// The names of a constexpr array of enum values, for a string_array default.
template <const auto& Values>
struct NameList {
  static constexpr auto kList = [] {
    std::array<std::string_view, Values.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = to_string(Values[i]);
    return names;
  }();
};

constexpr std::string_view kLinkStates[] = {"up", "down"};

constexpr KeySpec key(std::string_view name, KeyType type, std::string_view description) {
  return KeySpec(name, type, description);
}
constexpr KeySpec str(std::string_view name, std::string_view d) { return key(name, KeyType::string, d); }
constexpr KeySpec integer(std::string_view name, std::string_view d) { return key(name, KeyType::integer, d); }
constexpr KeySpec boolean(std::string_view name, std::string_view d) { return key(name, KeyType::boolean, d); }
constexpr KeySpec size(std::string_view name, std::string_view d) { return key(name, KeyType::size, d); }
constexpr KeySpec duration(std::string_view name, std::string_view d) { return key(name, KeyType::duration, d); }
constexpr KeySpec strings(std::string_view name, std::string_view d) { return key(name, KeyType::string_array, d); }
constexpr KeySpec integers(std::string_view name, std::string_view d) { return key(name, KeyType::integer_array, d); }
constexpr KeySpec one_of(std::string_view name, std::span<const std::string_view> values, std::string_view d) {
  return str(name, d).with_choices(values);
}
template <class E>
constexpr KeySpec choice(std::string_view name, std::string_view d) {
  return one_of(name, names_of<E>(), d);
}
template <class E>
constexpr KeySpec choice_list(std::string_view name, std::string_view d) {
  return strings(name, d).with_choices(names_of<E>());
}
constexpr KeySpec nested(std::string_view name, KeyType type, std::string_view table, std::string_view d) {
  return key(name, type, d).nested_in(table);
}
constexpr KeySpec table(std::string_view name, std::string_view d) { return nested(name, KeyType::table, name, d); }
constexpr KeySpec tables(std::string_view name, std::string_view d) {
  return nested(name, KeyType::table_array, name, d);
}
constexpr KeySpec sub_table(std::string_view name, std::string_view table, std::string_view d) {
  return nested(name, KeyType::table, table, d);
}
constexpr KeySpec free_table(std::string_view name, std::string_view table, std::string_view d) {
  return nested(name, KeyType::free_table, table, d);
}

// Defaults come from the model's own initialisers (Disk{}.format), so they are written once.
constexpr KeyDefault from(bool value) { return KeyDefault::of_boolean(value); }
template <std::integral T>
constexpr KeyDefault from(T value) {
  return KeyDefault::of_integer(static_cast<std::int64_t>(value));
}
template <class E>
requires std::is_enum_v<E>
constexpr KeyDefault from(E value) { return KeyDefault::of_text(to_string(value)); }
constexpr KeyDefault from(ByteSize value) { return from(value.bytes()); }
constexpr KeyDefault from(Duration value) { return from(value.ms().count()); }
constexpr KeyDefault from(std::string_view value) { return KeyDefault::of_text(value); }
template <const auto& Values>
constexpr KeyDefault from_list() {
  return KeyDefault::of_texts(NameList<Values>::kList);
}

// File descriptors a manifest hands QEMU: 0-2 are stdio, 3 is the QMP socket vmforge passes.
constexpr std::int64_t kFirstFd = 4;
constexpr std::int64_t kLastFd = 65535;

// 0xffffffff is (uid_t)-1, "no change" to setresuid(): not a real id.
constexpr std::int64_t kMaxId = 0xfffffffe;
// vsock cids 0-2 are the hypervisor, local and host; U32_MAX is VMADDR_CID_ANY, which vhost refuses.
constexpr std::int64_t kMaxCid = 0xfffffffe;

// QEMU's THROTTLE_VALUE_MAX (a rate or burst above it is refused), and the largest burst length
// (an unsigned int in QEMU's bucket).
constexpr std::int64_t kMaxIoRate = 1'000'000'000'000'000;
constexpr std::int64_t kMaxBurstSeconds = 0xffffffff;

// The I/O limit keys of [[disk]] and [[throttle_group]], one per kIoLimitNames row.
constexpr std::array<KeySpec, kIoLimitNames.size()> io_limit_keys() {
  std::array<KeySpec, kIoLimitNames.size()> keys{};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const IoLimitName& limit = kIoLimitNames[i];
    keys[i] = integer(limit.key, limit.description)
                  .in(1, limit.part == IoLimitPart::burst_length ? kMaxBurstSeconds : kMaxIoRate);
  }
  return keys;
}

// A table's own keys followed by the I/O limit keys.
template <std::size_t N>
constexpr std::array<KeySpec, N + kIoLimitNames.size()> with_io_limits(const KeySpec (&own)[N]) {
  std::array<KeySpec, N + kIoLimitNames.size()> keys{};
  const auto limits = io_limit_keys();
  for (std::size_t i = 0; i < N; ++i) keys[i] = own[i];
  for (std::size_t i = 0; i < limits.size(); ++i) keys[N + i] = limits[i];
  return keys;
}

constexpr std::string_view kIdText =
    "Unique device id: a letter, then letters, digits, '_' or '-'; at most 24 characters; ids starting with "
    "'vmforge' are reserved.";
constexpr std::string_view kHotplugText =
    "true: not in the QEMU command line; added over QMP after start-up and removable live.";

// Keys every virtio/PCI device table accepts (Placement in the model).
#define VMFORGE_PLACEMENT_KEYS                                                                                  \
  choice<Transport>("transport",                                                                                \
                    "How the virtio device attaches; default: 'mmio' on microvm, 'ccw' on s390x, else 'pci'."), \
      str("pci_bus", "Id of a [[pcie_root_port]] or [[pci_bridge]] to sit on (pci transport)."),                \
      str("pci_addr", "PCI slot[.function] on its bus, hex: '0x5' or '0x5.0x1' (pci transport)."),              \
      boolean("disable_modern", "Legacy-only virtio (disable-modern=on; pci transport).")                       \
          .defaults_to(from(Placement{}.disable_modern)),                                                       \
      str("romfile", "Option ROM file for the device; an empty string disables the ROM (pci transport)."),      \
      str("devno", "CCW device number 'CSSID.SSID.DEVNO', e.g. 'fe.0.1234' (ccw transport).")

// The tables are built by the compiler (read-only pages shared by every process, nothing to
// run at start-up; built at start-up they cost each supervisor 60 KiB of private memory).
// Their defaults come from the model's initialisers (`from(Disk{}.format)`), and clang before
// 15 cannot build libstdc++ 12's std::string in a constant expression, so there (the fuzz
// build) they are filled before main instead.
// Each byte of a KeySpec is relocated, so private, in every process (keys.hpp): keep it small.
static_assert(sizeof(KeySpec) <= 80);
#if defined(__clang__) && __clang_major__ < 15
#define VMFORGE_KEY_TABLE const
#else
#define VMFORGE_KEY_TABLE constexpr
#endif
VMFORGE_KEY_TABLE KeySpec kRoot[] = {
    str("name", "VM name: state directory, socket names, systemd unit instance."),
    str("uuid", "SMBIOS UUID."),
    table("machine", "The machine type and accelerators."),
    table("cpu", "Virtual CPUs and their topology."),
    table("memory", "Guest RAM and its backing."),
    table("kernel", "Direct kernel boot."),
    table("firmware", "Firmware images."),
    table("rtc", "The real-time clock."),
    tables("global", "One -global DRIVER.PROPERTY=VALUE."),
    table("knobs", "Process-level switches."),
    table("sandbox", "Seccomp sandbox (-sandbox on,...); present means on."),
    table("incoming", "Start as a migration target."),
    tables("fw_cfg", "A fw_cfg blob for the guest firmware."),
    tables("qmp_socket", "An extra QMP monitor for other tools (vmforge has its own)."),
    table("qemu", "The QEMU process."),
    table("supervisor", "The vmforge supervisor."),
    table("migration", "How 'vmforge migrate' moves the VM (read at migrate time: no restart)."),
    table("backup", "What 'vmforge backup' keeps."),
    table("confidential_guest", "A confidential-computing guest object."),
    table("cloud_init", "A cloud-init seed built at run time and attached as a read-only CD-ROM."),
    tables("iothread", "An I/O thread for disks and SCSI controllers."),
    tables("throttle_group", "I/O limits shared by the disks that name it (a QEMU throttle-group)."),
    tables("disk", "A disk or CD-ROM."),
    tables("scsi_controller", "A virtio-scsi controller."),
    tables("net", "A network interface."),
    tables("virtio_serial", "A virtio-serial controller for virtconsole/virtserialport (one is added when needed)."),
    tables("serial", "A character device and the guest side that uses it."),
    tables("fs_9p", "A virtio-9p shared directory."),
    tables("virtio_fs", "A virtio-fs share (vhost-user-fs); needs shared memfd/file memory."),
    tables("vhost_user", "A vhost-user block or SCSI device; needs shared memfd/file memory."),
    tables("vfio", "Host device passthrough."),
    tables("vsock", "A virtio-vsock device (needs /dev/vhost-vsock)."),
    tables("balloon", "The virtio balloon (at most one)."),
    tables("rng", "A virtio-rng device."),
    tables("pcie_root_port", "An explicit PCIe root port (q35)."),
    tables("pci_bridge", "A PCI bridge."),
    tables("loader", "The generic loader: a file into guest memory."),
    tables("intel_iommu", "The Intel IOMMU (q35, at most one)."),
    tables("pvpanic", "The ISA pvpanic device (x86, at most one)."),
    tables("dimm", "A pc-dimm with its own backend; needs [memory] slots and max."),
    tables("nvdimm", "An NVDIMM on a file; needs [memory] slots and max."),
};

VMFORGE_KEY_TABLE KeySpec kMachine[] = {
    str("type", "QEMU machine type: 'q35', 'pc', 'microvm' or a versioned name like 'pc-q35-7.2'.")
        .defaults_to(from(kDefaultMachineType)),
    choice_list<Accel>("accel", "Accelerators in order of preference; the first that works on the host is used.")
        .items(1)
        .defaults_to(from_list<kDefaultAccel>()),
    free_table("options", "machine.options",
               "Extra -machine properties (e.g. kernel-irqchip = \"split\"); booleans become on/off."),
    integer("hotplug_slots", "q35 only: pcie-root-ports reserved for devices added live later.")
        .in(0, 128)
        .defaults_to(from(Machine{}.hotplug_slots)),
    choice<Vga>("vga", "VGA device; absent: none is added."),
    boolean("nvdimm", "NVDIMM support (machine nvdimm=on, the ACPI NFIT) even without an [[nvdimm]]; implied by one.")
        .defaults_to(from(Machine{}.nvdimm)),
};

VMFORGE_KEY_TABLE KeySpec kCpu[] = {
    integer("count", "vCPUs online at boot.").in(1, 1024).defaults_to(from(Cpu{}.count)),
    integer("max", "Maximum vCPUs; more than count enables CPU hotplug.").in(1, 1024),
    integer("sockets", "Sockets; derived when absent so sockets*dies*cores*threads = max.").in(1, 1024),
    integer("dies", "Dies per socket.").in(1, 1024).defaults_to(from(Cpu{}.dies)),
    integer("cores", "Cores per die; derived when absent.").in(1, 1024),
    integer("threads", "Threads per core.").in(1, 1024).defaults_to(from(Cpu{}.threads)),
    str("model", "CPU model, e.g. 'host' or 'qemu64'; absent: QEMU's default."),
    strings("features", "CPU feature flags added to the model: '+name' or '-name'."),
};

VMFORGE_KEY_TABLE KeySpec kMemory[] = {
    size("size", "RAM at boot, whole MiB: '512M', '2G' or bytes.").defaults_to(from(Memory{}.size)),
    size("max", "Maximum RAM for DIMM hotplug (needs slots)."),
    integer("slots", "DIMM slots for hot-plugged memory (needs max).").in(0, 256).defaults_to(from(Memory{}.slots)),
    choice<MemoryBackendKind>(
        "backend", "RAM backing: 'ram', 'file' (needs path) or 'memfd'; default 'file' when path or hugepages is set.")
        .defaults_to(from(Memory{}.backend.kind)),
    str("path", "backend 'file': a file or directory (e.g. a hugetlbfs mount) to back RAM."),
    boolean("shared", "Map RAM shared (share=on); vhost-user devices need it with backend 'memfd' or 'file'.")
        .defaults_to(from(Memory{}.backend.shared)),
    boolean("prealloc", "Allocate all RAM at start-up.").defaults_to(from(Memory{}.backend.prealloc)),
    boolean("hugepages", "Back RAM with huge pages (memfd hugetlb, or file on /dev/hugepages by default).")
        .defaults_to(from(Memory{}.backend.hugepages)),
};

VMFORGE_KEY_TABLE KeySpec kKernel[] = {
    str("path", "Kernel image; relative paths are relative to the manifest."),
    str("initrd", "Initial ramdisk."),
    str("cmdline", "Kernel command line, passed verbatim."),
};

VMFORGE_KEY_TABLE KeySpec kFirmware[] = {
    str("bios", "BIOS image (-bios)."),
    strings("pflash", "Flash images in unit order: code, then variables.").items(0, 2),
};

VMFORGE_KEY_TABLE KeySpec kRtc[] = {
    str("base", "'utc', 'localtime' or a start date '2006-06-17' / '2006-06-17T16:01:21'.")
        .defaults_to(from(Rtc{}.base)),
    choice<RtcClock>("clock", "Clock source.").defaults_to(from(Rtc{}.clock)),
    choice<RtcDriftFix>("driftfix", "Interrupt drift fix.").defaults_to(from(Rtc{}.driftfix)),
};

VMFORGE_KEY_TABLE KeySpec kGlobal[] = {
    str("driver", "QEMU driver name, e.g. 'kvm-pit'."),
    str("property", "Property name, e.g. 'lost_tick_policy'."),
    str("value", "Value (escaped by vmforge)."),
};

VMFORGE_KEY_TABLE KeySpec kKnobs[] = {
    boolean("no_user_config", "-no-user-config.").defaults_to(from(Knobs{}.no_user_config)),
    boolean("no_defaults", "-nodefaults.").defaults_to(from(Knobs{}.no_defaults)),
    boolean("no_graphic", "No display.").defaults_to(from(Knobs{}.no_graphic)),
    boolean("no_reboot", "Exit instead of rebooting.").defaults_to(from(Knobs{}.no_reboot)),
    boolean("no_shutdown", "Stay alive (stopped) when the guest shuts down.").defaults_to(from(Knobs{}.no_shutdown)),
    boolean("stopped", "Stay paused after start-up (no 'cont').").defaults_to(from(Knobs{}.stopped)),
    boolean("mlock", "Lock guest memory (-overcommit mem-lock=on).").defaults_to(from(Knobs{}.mlock)),
    boolean("iommu_platform", "iommu_platform=on on virtio-ccw devices.").defaults_to(from(Knobs{}.iommu_platform)),
};

VMFORGE_KEY_TABLE KeySpec kSandbox[] = {
    boolean("enabled", "false: no -sandbox at all.").defaults_to(from(Sandbox{}.enabled)),
    choice<SandboxPolicy>("obsolete", "Obsolete system calls.").defaults_to(from(Sandbox{}.obsolete)),
    choice<SandboxPolicy>("elevate_privileges", "set*uid/gid calls; 'children' also forbids them to children.")
        .defaults_to(from(Sandbox{}.elevate_privileges)),
    choice<SandboxPolicy>("spawn", "fork/execve.").defaults_to(from(Sandbox{}.spawn)),
    choice<SandboxPolicy>("resource_control", "Scheduling/affinity calls.")
        .defaults_to(from(Sandbox{}.resource_control)),
};

VMFORGE_KEY_TABLE KeySpec kIncoming[] = {
    choice<IncomingKind>("mode", "How the stream arrives."),
    integer("fd", "mode 'fd': an inherited file descriptor.").in(kFirstFd, kLastFd),
    str("command", "mode 'exec': shell command whose output is the stream."),
    str("uri", "mode 'uri': 'unix:PATH', 'tcp:HOST:PORT' or 'rdma:HOST:PORT'."),
};

VMFORGE_KEY_TABLE KeySpec kFwCfg[] = {
    str("name", "Item name, starting with 'opt/' (at most 55 bytes).").bytes(0, 55),  // QEMU's FW_CFG_MAX_FILE_PATH - 1
    str("file", "Contents from a file (exclusive with string)."),
    str("string", "Contents as a string (exclusive with file)."),
};

VMFORGE_KEY_TABLE KeySpec kQmpSocket[] = {
    str("path", "Unix socket path (server, no wait)."),
    boolean("server",
            "false: QEMU connects to a socket another program listens on (e.g. Proxmox's qmeventd) at start, and fails "
            "to start if nothing listens.")
        .defaults_to(from(QmpSocket{}.server)),
};

VMFORGE_KEY_TABLE KeySpec kQemu[] = {
    str("binary", "QEMU binary: a name looked up in PATH or a path.").defaults_to(from(kDefaultQemuBinary)),
    str("pidfile", "-pidfile path."),
    str("logfile", "-D debug log path."),
    strings("extra_args",
            "Raw arguments appended to the command line: the escape hatch; vmforge cannot check them and shows them "
            "loudly."),
    str("user",
        "User QEMU runs as, looked up in /etc/passwd at start (default as root: vmforge-qemu; 'root' keeps QEMU root). "
        "Not with uid/gid/groups."),
    integer("uid", "User id QEMU runs as; needs gid (instead of user).").in(0, kMaxId),
    integer("gid", "Group id QEMU runs as; needs uid.").in(0, kMaxId),
    integers("groups", "Supplementary group ids (needs uid and gid).").in(0, kMaxId),
};

VMFORGE_KEY_TABLE KeySpec kSupervisor[] = {
    duration("shutdown_timeout", "After system_powerdown, how long to wait before quit, then SIGKILL.")
        .defaults_to(from(SupervisorSettings{}.shutdown_timeout)),
    boolean("autostart",
            "Start the VM at boot: 'vmforge apply DIR' enables vmforge@NAME.service when true, disables it when "
            "false; unset leaves it as it is."),
};

VMFORGE_KEY_TABLE KeySpec kMigration[] = {
    boolean("auto_converge", "Throttle the guest's vCPUs while its RAM is dirtied faster than it is sent.")
        .defaults_to(from(MigrationSettings{}.auto_converge)),
    boolean("postcopy",
            "Allow post-copy: after 'postcopy_after_passes' passes over RAM, run the VM on the destination and "
            "fetch the rest on demand. Set on both ends' manifests.")
        .defaults_to(from(MigrationSettings{}.postcopy)),
    integer("postcopy_after_passes", "Precopy passes over RAM before switching to post-copy.")
        .in(1, 1000)
        .defaults_to(from(MigrationSettings{}.postcopy_after_passes)),
    size("bandwidth", "Most bytes per second the migration sends ('1G'); default: QEMU's, 128 MiB/s."),
    duration("downtime_limit", "Longest pause of the guest at switch-over ('300ms'); default: QEMU's, 300ms."),
    integer("multifd", "Parallel channels (multifd); 0: one stream. Set on both ends' manifests.")
        .in(0, 255)
        .defaults_to(from(MigrationSettings{}.multifd)),
};

VMFORGE_KEY_TABLE KeySpec kBackup[] = {
    integer("keep",
            "Backup sets to keep (a full backup and the incremental ones after it): after a backup, older sets "
            "are removed; unset keeps all.")
        .in(1, 10000),
};

VMFORGE_KEY_TABLE KeySpec kConfidential[] = {
    choice<ConfidentialKind>("type", "Technology."),
    str("firmware", "sev: OVMF pflash image; tdx: TDVF image."),
    integer("cbitpos", "sev: C-bit position.").in(1, 63),
    integer("reduced_phys_bits", "sev: physical address bits lost.").in(1, 63),
    boolean("debug", "tdx: debug mode.").defaults_to(from(ConfidentialGuest{}.debug)),
    str("host_path", "pef: spapr-tpm-proxy host path."),
};

VMFORGE_KEY_TABLE KeySpec kCloudInit[] = {
    choice<CloudInitFormat>("format", "Seed format.").defaults_to(from(CloudInit{}.format)),
    str("user_data", "user-data file."),
    str("meta_data", "meta-data file."),
    str("network_config", "network-config file."),
};

VMFORGE_KEY_TABLE KeySpec kIoThread[] = {
    str("id", kIdText),
};

VMFORGE_KEY_TABLE KeySpec kThrottleGroupOwn[] = {
    str("id", kIdText),
};
VMFORGE_KEY_TABLE auto kThrottleGroup = with_io_limits(kThrottleGroupOwn);

VMFORGE_KEY_TABLE KeySpec kDiskOwn[] = {
    str("id", kIdText),
    str("file", "Image file (need not exist at compile time)."),
    choice<DiskFormat>("format", "Image format.").defaults_to(from(Disk{}.format)),
    sub_table("backing", "disk.backing",
              "The image below this copy-on-write one (qcow2, qed, vmdk), opened read-only; without it the image has "
              "none, whatever its header names."),
    size("size", "Virtual size, a positive multiple of 512 bytes ('8G'): a missing 'file' is created (raw: sparse; "
                 "qcow2) before QEMU opens it, and a smaller image is grown live by apply; never shrunk. Formats raw "
                 "and qcow2, writable disks."),
    choice<DiskBus>("bus", "Frontend: virtio-blk, scsi-hd/cd on a [[scsi_controller]], or IDE/AHCI.")
        .defaults_to(from(Disk{}.bus)),
    choice<DiskMedia>("media", "'cdrom' needs bus 'scsi' or 'ide' and is read-only.").defaults_to(from(Disk{}.media)),
    str("controller", "bus 'scsi': the [[scsi_controller]] id (default: the only one)."),
    integer("lun", "bus 'scsi': logical unit.").in(0, 255),
    choice<DiskAio>("aio", "I/O engine; 'native' needs cache 'none' or 'directsync'.").defaults_to(from(Disk{}.aio)),
    choice<DiskCache>("cache", "Cache mode.").defaults_to(from(Disk{}.cache)),
    boolean("readonly", "Read-only.").defaults_to(from(Disk{}.readonly)),
    boolean("share_rw", "Allow other writers (share-rw=on).").defaults_to(from(Disk{}.share_rw)),
    boolean("write_cache", "Guest-visible write cache; default follows cache."),
    boolean("discard", "Pass discards to the image (discard=unmap).").defaults_to(from(Disk{}.discard)),
    str("serial", "Serial number, 1-20 printable ASCII characters.").bytes(1, 20),  // virtio-blk's serial field
    str("iothread", "bus 'virtio': [[iothread]] id."),
    integer("num_queues", "bus 'virtio': request queues.").in(1, 256),
    boolean("config_wce",
            "bus 'virtio': whether the guest may switch the disk's write cache (virtio-blk config-wce; QEMU's default "
            "is true)."),
    integer("boot_index", "Boot order (not with hotplug).").in(0, 65535),
    boolean("hotplug", kHotplugText).defaults_to(from(Disk{}.hotplug)),
    str("throttle_group",
        "[[throttle_group]] id whose limits this disk shares; not with the disk's own I/O limit keys."),
    VMFORGE_PLACEMENT_KEYS,
};
// The disk's own I/O limits make a throttle group of its own.
VMFORGE_KEY_TABLE auto kDisk = with_io_limits(kDiskOwn);

VMFORGE_KEY_TABLE KeySpec kDiskBacking[] = {
    str("file", "Backing image (relative to the manifest)."),
    choice<DiskFormat>("format", "Backing image format.").defaults_to(from(DiskBacking{}.format)),
};

VMFORGE_KEY_TABLE KeySpec kScsiController[] = {
    str("id", kIdText),
    str("iothread", "[[iothread]] id."),
    integer("num_queues", "Request queues.").in(1, 256),
    boolean("hotplug", kHotplugText).defaults_to(from(ScsiController{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kNet[] = {
    str("id", kIdText),
    choice<NetBackend>("backend", "Host side of the NIC.").defaults_to(from(Net{}.backend)),
    str("mac", "MAC address; default: a stable one derived from the VM name and id (52:54:00:...)."),
    str("ifname", "tap family: host interface name (at most 15 characters).").bytes(1, 15),  // IFNAMSIZ - 1
    str("script", "tap/veth-tap: interface up script (default: none)."),
    str("downscript", "tap/veth-tap: interface down script (default: none)."),
    boolean("vhost", "tap family: vhost-net acceleration.").defaults_to(from(Net{}.vhost)),
    integer("queues", "tap family / vhost-user: queue pairs (multiqueue).").in(1, 256).defaults_to(from(Net{}.queues)),
    integers("fds", "tap family: pre-opened tap fds vmforge inherits, one per queue.").in(kFirstFd, kLastFd),
    integers("vhost_fds", "Pre-opened vhost-net fds, one per queue (needs vhost).").in(kFirstFd, kLastFd),
    str("socket", "vhost-user: the back end's socket."),
    str("host", "vfio: host PCI function '0000:02:00.0'."),
    strings("hostfwd", "user: port forwards like 'tcp:127.0.0.1:2222-:22'."),
    one_of("link", kLinkStates, "Link state, changeable live.").defaults_to(from(std::string_view("up"))),
    boolean("hotplug", kHotplugText).defaults_to(from(Net{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kVirtioSerial[] = {
    str("id", kIdText),
    integer("max_ports", "Maximum ports.").in(1, 511),
    boolean("hotplug", kHotplugText).defaults_to(from(VirtioSerial{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kSerial[] = {
    str("id", kIdText),
    choice<CharBackend>("backend", "Host side; 'console': the supervisor's, for 'vmforge console' and console.log.")
        .defaults_to(from(Serial{}.backend)),
    str("path", "file/pipe/socket/tty: the host path."),
    boolean("server", "socket: listen (server=on,wait=off) instead of connecting.").defaults_to(from(Serial{}.server)),
    choice<SerialFrontend>("frontend", "Guest side: a legacy UART (ttyS*), a virtio console (hvc*) or a named port.")
        .defaults_to(from(Serial{}.frontend)),
    str("controller", "virtconsole/virtserialport: [[virtio_serial]] id (default: the only one)."),
    str("name", "virtserialport: port name, e.g. 'org.qemu.guest_agent.0'.").bytes(1, 127),
    boolean("hotplug", "true: not in the QEMU command line; added over QMP after start-up and removable live. "
                       "virtconsole/virtserialport only.")
        .defaults_to(from(Serial{}.hotplug)),
};

VMFORGE_KEY_TABLE KeySpec kFs9p[] = {
    str("id", kIdText),
    str("path", "Host directory to share."),
    str("tag", "Mount tag (at most 255 bytes).").bytes(1, 255),
    choice<Fs9pSecurityModel>("security_model", "How guest ownership/permissions are stored.")
        .defaults_to(from(Fs9p{}.security_model)),
    choice<Fs9pMultidev>("multidev", "Handling of several host devices under path."),
    boolean("readonly", "Export read-only.").defaults_to(from(Fs9p{}.readonly)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kVirtioFs[] = {
    str("id", kIdText),
    str("socket", "virtiofsd's socket."),
    str("tag", "Mount tag (at most 36 bytes).").bytes(1, 36),  // virtio-fs's tag field
    integer("queue_size", "Queue size, a power of two.").in(1, 1024),
    boolean("hotplug", kHotplugText).defaults_to(from(VirtioFs{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kVhostUser[] = {
    str("id", kIdText),
    choice<VhostUserKind>("type", "Device type."),
    str("socket", "The back end's socket."),
    integer("num_queues", "Queues.").in(1, 256),
    integer("boot_index", "blk: boot order.").in(0, 65535),
    boolean("hotplug", kHotplugText).defaults_to(from(VhostUser{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kVfio[] = {
    str("id", kIdText),
    choice<VfioKind>("type", "vfio-pci, vfio-ccw or vfio-ap.").defaults_to(from(Vfio{}.kind)),
    str("host", "pci: host function '0000:02:00.0' (or use sysfsdev)."),
    str("sysfsdev", "Mediated device sysfs path (ccw/ap; mdev on pci)."),
    integer("vendor_id", "pci: override the vendor id.").in(0, 65535),
    integer("device_id", "pci: override the device id.").in(0, 65535),
    str("pci_bus", "pci: [[pcie_root_port]] or [[pci_bridge]] id."),
    str("pci_addr", "pci: slot[.function] on its bus."),
    str("romfile", "pci: option ROM; empty disables it."),
    str("devno", "ccw: device number 'fe.0.1234'."),
    boolean("hotplug", kHotplugText).defaults_to(from(Vfio{}.hotplug)),
};

VMFORGE_KEY_TABLE KeySpec kVsock[] = {
    str("id", kIdText),
    integer("cid", "Guest context id.").in(3, kMaxCid),
    integer("vhost_fd", "Pre-opened /dev/vhost-vsock fd.").in(kFirstFd, kLastFd),
    boolean("hotplug", kHotplugText).defaults_to(from(Vsock{}.hotplug)),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kBalloon[] = {
    str("id", kIdText),
    boolean("deflate_on_oom", "Give memory back when the guest runs out.").defaults_to(from(Balloon{}.deflate_on_oom)),
    boolean("free_page_reporting", "Report free pages to the host.").defaults_to(from(Balloon{}.free_page_reporting)),
    size("target",
         "Memory the guest is asked to keep (QMP 'balloon'), a multiple of 4 KiB and at most [memory] size; changed "
         "live by 'vmforge apply'. Default: the balloon stays empty."),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kRng[] = {
    str("id", kIdText),
    str("source", "Entropy source.").defaults_to(from(kDefaultRngSource)),
    integer("max_bytes", "Bytes per period.").at_least(1),
    integer("period_ms", "Rate-limit period in ms.").in(1, 4294967295),
    VMFORGE_PLACEMENT_KEYS,
};

VMFORGE_KEY_TABLE KeySpec kPcieRootPort[] = {
    str("id", kIdText),
    integer("chassis", "Chassis number; (chassis, slot) must be unique.")
        .in(0, 255)
        .defaults_to(from(PcieRootPort{}.chassis)),
    integer("slot", "Slot number.").in(0, 65535).defaults_to(from(PcieRootPort{}.slot)),
    str("pci_addr", "Address on pcie.0: slot[.function]."),
    boolean("multifunction", "multifunction=on (function 0 of a pack of ports).")
        .defaults_to(from(PcieRootPort{}.multifunction)),
    integer("bus_reserve", "Extra bus numbers to reserve.").in(0, 255),
    size("io_reserve", "I/O window to reserve."),
    size("mem_reserve", "Memory window to reserve."),
    size("pref32_reserve", "32-bit prefetchable window (not with pref64_reserve)."),
    size("pref64_reserve", "64-bit prefetchable window (not with pref32_reserve)."),
    str("romfile", "Option ROM; empty disables it."),
};

VMFORGE_KEY_TABLE KeySpec kPciBridge[] = {
    str("id", kIdText),
    choice<BridgeKind>("type", "'pci' (pci-bridge) or 'pcie-pci' (pcie-pci-bridge, q35).")
        .defaults_to(from(PciBridge{}.kind)),
    integer("chassis", "type 'pci': unique chassis number.").in(1, 255),
    boolean("shpc", "type 'pci': SHPC hotplug controller.").defaults_to(from(PciBridge{}.shpc)),
    str("pci_bus", "Parent [[pcie_root_port]] or [[pci_bridge]] id."),
    str("pci_addr", "Slot[.function] on the parent bus."),
    size("io_reserve", "I/O window to reserve."),
    size("mem_reserve", "Memory window to reserve."),
    size("pref64_reserve", "64-bit prefetchable window to reserve."),
    str("romfile", "Option ROM; empty disables it."),
};

VMFORGE_KEY_TABLE KeySpec kLoader[] = {
    str("id", kIdText),
    str("file", "File to load."),
    integer("addr", "Load address.").at_least(0),
    integer("cpu_num", "CPU whose PC is set to the entry point.").in(0, 1023),
    boolean("force_raw", "Load as raw bytes even if it is an ELF/uImage.").defaults_to(from(Loader{}.force_raw)),
};

VMFORGE_KEY_TABLE KeySpec kIntelIommu[] = {
    str("id", kIdText),
    boolean("intremap", "Interrupt remapping.").defaults_to(from(IntelIommu{}.intremap)),
    boolean("device_iotlb", "Device IOTLB.").defaults_to(from(IntelIommu{}.device_iotlb)),
    boolean("caching_mode", "Caching mode (needed for VFIO behind the IOMMU).")
        .defaults_to(from(IntelIommu{}.caching_mode)),
};

VMFORGE_KEY_TABLE KeySpec kPvPanic[] = {
    str("id", kIdText),
};

VMFORGE_KEY_TABLE KeySpec kDimm[] = {
    str("id", kIdText),
    size("size", "Size, whole MiB."),
    choice<MemoryBackendKind>("backend", "Backing.").defaults_to(from(Dimm{}.backend.kind)),
    str("path", "backend 'file': backing file or directory."),
    boolean("shared", "share=on.").defaults_to(from(Dimm{}.backend.shared)),
    boolean("prealloc", "Preallocate.").defaults_to(from(Dimm{}.backend.prealloc)),
    boolean("hugepages", "Huge pages.").defaults_to(from(Dimm{}.backend.hugepages)),
    boolean("hotplug", kHotplugText).defaults_to(from(Dimm{}.hotplug)),
};

VMFORGE_KEY_TABLE KeySpec kNvdimm[] = {
    str("id", kIdText),
    str("path", "Backing file."),
    size("size", "Size, a multiple of 4 KiB."),
    boolean("shared", "share=on.").defaults_to(from(Nvdimm{}.shared)),
    boolean("pmem", "The file is on real persistent memory (pmem=on).").defaults_to(from(Nvdimm{}.pmem)),
    boolean("readonly", "Read-only backend, unarmed NVDIMM.").defaults_to(from(Nvdimm{}.readonly)),
};
#undef VMFORGE_PLACEMENT_KEYS

constexpr TableSpec kTables[] = {
    {"", "the top level", kRoot},
    {"machine", "[machine]", kMachine},
    {"machine.options", "[machine.options]", {}},
    {"cpu", "[cpu]", kCpu},
    {"memory", "[memory]", kMemory},
    {"kernel", "[kernel]", kKernel},
    {"firmware", "[firmware]", kFirmware},
    {"rtc", "[rtc]", kRtc},
    {"global", "[[global]]", kGlobal},
    {"knobs", "[knobs]", kKnobs},
    {"sandbox", "[sandbox]", kSandbox},
    {"incoming", "[incoming]", kIncoming},
    {"fw_cfg", "[[fw_cfg]]", kFwCfg},
    {"qmp_socket", "[[qmp_socket]]", kQmpSocket},
    {"qemu", "[qemu]", kQemu},
    {"supervisor", "[supervisor]", kSupervisor},
    {"migration", "[migration]", kMigration},
    {"backup", "[backup]", kBackup},
    {"confidential_guest", "[confidential_guest]", kConfidential},
    {"cloud_init", "[cloud_init]", kCloudInit},
    {"iothread", "[[iothread]]", kIoThread},
    {"throttle_group", "[[throttle_group]]", kThrottleGroup},
    {"disk", "[[disk]]", kDisk},
    {"disk.backing", "[[disk]] backing", kDiskBacking},
    {"scsi_controller", "[[scsi_controller]]", kScsiController},
    {"net", "[[net]]", kNet},
    {"virtio_serial", "[[virtio_serial]]", kVirtioSerial},
    {"serial", "[[serial]]", kSerial},
    {"fs_9p", "[[fs_9p]]", kFs9p},
    {"virtio_fs", "[[virtio_fs]]", kVirtioFs},
    {"vhost_user", "[[vhost_user]]", kVhostUser},
    {"vfio", "[[vfio]]", kVfio},
    {"vsock", "[[vsock]]", kVsock},
    {"balloon", "[[balloon]]", kBalloon},
    {"rng", "[[rng]]", kRng},
    {"pcie_root_port", "[[pcie_root_port]]", kPcieRootPort},
    {"pci_bridge", "[[pci_bridge]]", kPciBridge},
    {"loader", "[[loader]]", kLoader},
    {"intel_iommu", "[[intel_iommu]]", kIntelIommu},
    {"pvpanic", "[[pvpanic]]", kPvPanic},
    {"dimm", "[[dimm]]", kDimm},
    {"nvdimm", "[[nvdimm]]", kNvdimm},
};

}  // namespace

const KeySpec* TableSpec::find(std::string_view key) const {
  for (const KeySpec& spec : keys) {
    if (spec.name == key) return &spec;
  }
  return nullptr;
}

std::span<const TableSpec> manifest_tables() { return kTables; }

const TableSpec* find_table_spec(std::string_view name) {
  for (const TableSpec& table : kTables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus swapping two neighbours, the commonest typo.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string_view> closest_match(std::string_view word, std::span<const std::string_view> candidates) {
  // Long input cannot be a typo of a short key; bounding it also bounds the work.
  constexpr std::size_t kMaxWord = 64;
  if (word.size() > kMaxWord) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // Ninja's rule of thumb: a typo changes at most a third of the word (and at least 1 char).
  std::size_t limit = std::max<std::size_t>(1, std::max(word.size(), best ? best->size() : 0) / 3);
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

std::optional<std::string_view> suggest_key(const TableSpec& table, std::string_view word) {
  std::vector<std::string_view> names;
  names.reserve(table.keys.size());
  for (const KeySpec& spec : table.keys) names.push_back(spec.name);
  return closest_match(word, names);
}

}  // namespace vmforge
