// The validated VM model (`Vm`): what a manifest means, with every default resolved, every
// reference checked and every path absolute. Value types only; no toml++ past the loader.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/model/devices.hpp"
#include "compiler/model/enums.hpp"
#include "compiler/model/units.hpp"
#include "compiler/model/pci_pins.hpp"

namespace vmforge {

// ---------------------------------------------------------------------------------------------
// Machine-wide settings
// ---------------------------------------------------------------------------------------------

// What an absent [machine] type or accel means (the key table gives them to the validators).
inline constexpr std::string_view kDefaultMachineType = "q35";
inline constexpr std::array kDefaultAccel{Accel::kvm, Accel::tcg};

/// `[machine]`.
struct Machine {
  std::string type{kDefaultMachineType};      // QEMU machine name as written ("q35", "pc-q35-7.2")
  MachineFamily family = MachineFamily::q35;  // derived from `type`
  std::vector<Accel> accel{kDefaultAccel.begin(), kDefaultAccel.end()};  // first that works on the host
  /// `[machine.options]`: extra -machine properties, sorted by key; booleans are "on"/"off",
  /// integers decimal. Values are raw user strings (the lowering escapes them).
  std::vector<std::pair<std::string, std::string>> options;
  /// q35: pcie-root-ports reserved for devices added live (0 on other families).
  std::uint32_t hotplug_slots = 0;
  std::optional<Vga> vga;  // absent: no VGA device (-vga is not emitted)
  bool nvdimm = false;     // NVDIMM support (ACPI NFIT) also without an [[nvdimm]]
  bool operator==(const Machine&) const = default;
};

/// `[cpu]`. The topology is fully resolved: sockets*dies*cores*threads == max.
struct Cpu {
  std::uint32_t count = 1;  // vCPUs online at boot
  std::uint32_t max = 1;    // >= count; > count enables CPU hotplug
  std::uint32_t sockets = 1;
  std::uint32_t dies = 1;
  std::uint32_t cores = 1;
  std::uint32_t threads = 1;
  std::optional<std::string> model;   // `-cpu` model ("host", "qemu64"); absent: QEMU default
  std::vector<std::string> features;  // "+avx2", "-svm": appended to the model
  bool operator==(const Cpu&) const = default;
};

/// `[memory]`.
struct Memory {
  ByteSize size{512ull << 20};
  std::optional<ByteSize> max;  // set together with slots: DIMM hotplug up to max
  std::uint32_t slots = 0;
  /// The main RAM backend. When the manifest sets nothing special this is plain RAM and the
  /// lowering may use `-m` alone.
  MemoryBackend backend;
  bool operator==(const Memory&) const = default;
};

/// `[kernel]`: direct kernel boot.
struct Kernel {
  std::string path;                    // absolute
  std::optional<std::string> initrd;   // absolute
  std::optional<std::string> cmdline;  // passed verbatim to -append
  bool operator==(const Kernel&) const = default;
};

/// `[firmware]`.
struct Firmware {
  std::optional<std::string> bios;  // absolute
  std::vector<std::string> pflash;  // at most 2, absolute, unit order
  bool operator==(const Firmware&) const = default;
};

/// `[rtc]`.
struct Rtc {
  RtcBase base = RtcBase::utc;
  std::optional<std::string> datetime;  // base == datetime: "2006-06-17T16:01:21" or "2006-06-17"
  RtcClock clock = RtcClock::host;
  RtcDriftFix driftfix = RtcDriftFix::none;
  bool operator==(const Rtc&) const = default;
};

/// `[[global]]`: one `-global driver.property=value`.
struct GlobalParam {
  std::string driver;    // [A-Za-z0-9_.-]+
  std::string property;  // [A-Za-z0-9_.-]+
  std::string value;     // raw (escaped by the lowering)
  bool operator==(const GlobalParam&) const = default;
};

/// `[knobs]`: process-level switches. Defaults suit a supervised headless VM.
struct Knobs {
  bool no_user_config = true;   // -no-user-config
  bool no_defaults = true;      // -nodefaults
  bool no_graphic = true;       // no display (-display none; never stdio serial)
  bool no_reboot = false;       // -no-reboot
  bool no_shutdown = false;     // -no-shutdown
  bool stopped = false;         // stay paused after start-up: no `cont`
  bool mlock = false;           // -overcommit mem-lock=on
  bool iommu_platform = false;  // iommu_platform=on on virtio-ccw devices
  bool operator==(const Knobs&) const = default;
};

/// `[sandbox]`: present means `-sandbox on,...`.
struct Sandbox {
  bool enabled = true;  // [sandbox] enabled = false: no -sandbox at all
  SandboxPolicy obsolete = SandboxPolicy::deny;
  SandboxPolicy elevate_privileges = SandboxPolicy::deny;
  SandboxPolicy spawn = SandboxPolicy::deny;
  SandboxPolicy resource_control = SandboxPolicy::deny;
  bool operator==(const Sandbox&) const = default;
};

/// `[incoming]`: start as a migration target (implies -S).
struct Incoming {
  IncomingKind kind = IncomingKind::defer;
  int fd = -1;          // kind == fd: an fd vmforge inherits (>= 4)
  std::string command;  // kind == exec: shell command
  std::string uri;      // kind == uri: "unix:/path", "tcp:host:port", ...
  bool operator==(const Incoming&) const = default;
};

/// `[[fw_cfg]]`: several entries allowed, names unique, each with a file or a string.
struct FwCfg {
  std::string name;                 // "opt/..."
  std::optional<std::string> file;  // absolute; exactly one of file/string
  std::optional<std::string> string;
  bool operator==(const FwCfg&) const = default;
};

/// `[[qmp_socket]]`: an extra QMP monitor for other tools (the supervisor has its own).
struct QmpSocket {
  std::string path;    // absolute
  bool server = true;  // listen (wait=off); false: QEMU connects to `path`
  bool operator==(const QmpSocket&) const = default;
};

/// `[qemu]`: the binary and process-level outputs.
/// The system user QEMU runs as when a root supervisor is not told otherwise (created by the
/// sysusers.d file vmforge installs).
inline constexpr std::string_view kDefaultQemuUser = "vmforge-qemu";
inline constexpr std::string_view kDefaultQemuBinary = "qemu-system-x86_64";

struct Qemu {
  std::string binary{kDefaultQemuBinary};  // a name looked up in PATH, or an absolute path
  std::optional<std::string> pidfile;      // absolute
  std::optional<std::string> logfile;      // absolute; QEMU's -D debug log
  /// Raw arguments appended to the argv as given: the escape hatch. vmforge cannot check
  /// them; `compile`/`plan` show them loudly.
  std::vector<std::string> extra_args;
  /// Who QEMU runs as, by name, resolved at start (its groups from the user database);
  /// "root" keeps QEMU root with its capabilities. Absent with uid/gid absent: kDefaultQemuUser
  /// when the supervisor is root, else the supervisor's own user.
  std::optional<std::string> user;
  /// Credentials QEMU runs with (govmm's Uid/Gid/Groups), instead of `user`.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::vector<std::uint32_t> groups;  // supplementary groups; needs uid/gid
  bool operator==(const Qemu&) const = default;
};

/// `[supervisor]`.
struct SupervisorSettings {
  /// After system_powerdown, how long to wait for the guest before `quit`, then SIGKILL.
  Duration shutdown_timeout{std::chrono::seconds(30)};
  /// Whether vmforge@NAME.service starts at boot: `apply DIR` enables or disables the unit;
  /// unset leaves it as it is.
  std::optional<bool> autostart;
  bool operator==(const SupervisorSettings&) const = default;
};

/// `[migration]`: how `vmforge migrate` moves the VM. Read when a migration starts (on the source,
/// and on a `run --incoming` destination for what both ends must agree on), so a change is no
/// restart reason. The `migrate` flags override it on the source.
struct MigrationSettings {
  bool auto_converge = false;
  bool postcopy = false;  // postcopy-ram on both ends; switch over after postcopy_after_passes
  std::uint32_t postcopy_after_passes = 3;  // precopy passes over RAM (dirty-sync-count) first
  std::optional<ByteSize> bandwidth;        // bytes/s; unset: QEMU's default (128 MiB/s)
  std::optional<Duration> downtime_limit;   // unset: QEMU's default (300 ms)
  std::uint32_t multifd = 0;                // channels on both ends; 0: one stream
  bool operator==(const MigrationSettings&) const = default;
};

/// `[backup]`: what `vmforge backup` keeps (README, "Backups and restore").
struct BackupSettings {
  /// Backup sets (a full backup and the incremental ones after it) kept; unset: all.
  std::optional<std::uint32_t> keep;
  bool operator==(const BackupSettings&) const = default;
};

/// `[confidential_guest]`: SEV/TDX/s390 PV/PEF object (govmm Object types).
struct ConfidentialGuest {
  DeviceId id{"vmforge-cg"};
  ConfidentialKind kind = ConfidentialKind::sev;
  std::optional<std::string> firmware;   // sev: pflash OVMF, tdx: TDVF loader (absolute)
  std::uint32_t cbitpos = 0;             // sev: required, 1..63
  std::uint32_t reduced_phys_bits = 0;   // sev: required, 1..63
  bool debug = false;                    // tdx
  std::optional<std::string> host_path;  // pef: spapr-tpm-proxy host-path (absolute)
  bool operator==(const ConfidentialGuest&) const = default;
};

/// `[cloud_init]`: a seed image (NoCloud "cidata" or ConfigDrive "config-2") that the
/// supervisor builds at run time from these files and attaches read-only as a cdrom.
struct CloudInit {
  DeviceId id{"vmforge-seed"};
  CloudInitFormat format = CloudInitFormat::nocloud;
  std::string user_data;                      // absolute
  std::string meta_data;                      // absolute
  std::optional<std::string> network_config;  // absolute
  bool operator==(const CloudInit&) const = default;
};

// ---------------------------------------------------------------------------------------------
// The VM
// ---------------------------------------------------------------------------------------------

struct Vm {
  std::string name;  // [A-Za-z0-9_.-]+, at most 64
  std::optional<Uuid> uuid;

  Machine machine;
  Cpu cpu;
  Memory memory;
  std::optional<Kernel> kernel;
  Firmware firmware;
  std::optional<Rtc> rtc;
  std::vector<GlobalParam> globals;
  Knobs knobs;
  Sandbox sandbox;  // on unless [sandbox] enabled = false
  std::optional<Incoming> incoming;
  std::vector<FwCfg> fw_cfg;
  std::vector<QmpSocket> qmp_sockets;
  Qemu qemu;
  SupervisorSettings supervisor;
  MigrationSettings migration;
  BackupSettings backup;
  std::optional<ConfidentialGuest> confidential_guest;
  std::optional<CloudInit> cloud_init;

  std::vector<IoThread> iothreads;
  std::vector<ThrottleGroup> throttle_groups;
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

  /// Host state handed to lowering, not manifest meaning (excluded from same_config): the root
  /// ports and device placement of the running VM a migration comes from (`run --incoming`);
  /// without it, lowering lays out the ports as for a fresh start.
  std::optional<PciPins> pci_pins;

  // -- Where it came from (not part of the VM's meaning: excluded from operator==). --
  std::string source_path;    // the manifest path as given
  std::string source_text;    // the manifest bytes
  std::string source_sha256;  // hex SHA-256 of source_text
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
