// The key table of the manifest (one entry per table; the schema mirrors it, a test checks).
#include "compiler/manifest_keys.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "compiler/model_enums.hpp"

namespace vmforge {

namespace {

/// The names of enum E as a constexpr array of string_view, for KeySpec::choices.
template <class E>
struct Choices {
  static constexpr auto kList = [] {
    std::array<std::string_view, EnumTable<E>::kNames.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = EnumTable<E>::kNames[i].name;
    return names;
  }();
};

template <class E>
constexpr std::span<const std::string_view> choices() {
  return Choices<E>::kList;
}

constexpr std::string_view kLinkStates[] = {"up", "down"};

constexpr KeySpec str(std::string_view name) { return {name, KeyType::string}; }
constexpr KeySpec integer(std::string_view name) { return {name, KeyType::integer}; }
constexpr KeySpec boolean(std::string_view name) { return {name, KeyType::boolean}; }
constexpr KeySpec size(std::string_view name) { return {name, KeyType::size}; }
template <class E>
constexpr KeySpec choice(std::string_view name) {
  return {name, KeyType::string, choices<E>()};
}
constexpr KeySpec table(std::string_view name) { return {name, KeyType::table, {}, name}; }
constexpr KeySpec tables(std::string_view name) { return {name, KeyType::table_array, {}, name}; }

// Keys every virtio/PCI device table accepts (Placement in the model).
#define VMFORGE_PLACEMENT_KEYS                                                                                \
  choice<Transport>("transport"), str("pci_bus"), str("pci_addr"), boolean("disable_modern"), str("romfile"), \
      str("devno")

constexpr KeySpec kRoot[] = {
    str("name"),
    str("uuid"),
    table("machine"),
    table("cpu"),
    table("memory"),
    table("kernel"),
    table("firmware"),
    table("rtc"),
    tables("global"),
    table("knobs"),
    table("sandbox"),
    table("incoming"),
    tables("fw_cfg"),
    tables("qmp_socket"),
    table("qemu"),
    table("supervisor"),
    table("confidential_guest"),
    table("cloud_init"),
    tables("iothread"),
    tables("disk"),
    tables("scsi_controller"),
    tables("net"),
    tables("virtio_serial"),
    tables("serial"),
    tables("fs_9p"),
    tables("virtio_fs"),
    tables("vhost_user"),
    tables("vfio"),
    tables("vsock"),
    tables("balloon"),
    tables("rng"),
    tables("pcie_root_port"),
    tables("pci_bridge"),
    tables("loader"),
    tables("intel_iommu"),
    tables("pvpanic"),
    tables("dimm"),
    tables("nvdimm"),
};

constexpr KeySpec kMachine[] = {
    str("type"),
    {"accel", KeyType::string_array, choices<Accel>()},
    {"options", KeyType::free_table, {}, "machine.options"},
    integer("hotplug_slots"),
    choice<Vga>("vga"),
    boolean("nvdimm"),
};

constexpr KeySpec kCpu[] = {
    integer("count"), integer("max"),     integer("sockets"), integer("dies"),
    integer("cores"), integer("threads"), str("model"),       {"features", KeyType::string_array},
};

constexpr KeySpec kMemory[] = {
    size("size"), size("max"),       integer("slots"),    choice<MemoryBackendKind>("backend"),
    str("path"),  boolean("shared"), boolean("prealloc"), boolean("hugepages"),
};

constexpr KeySpec kKernel[] = {str("path"), str("initrd"), str("cmdline")};

constexpr KeySpec kFirmware[] = {str("bios"), {"pflash", KeyType::string_array}};

constexpr KeySpec kRtc[] = {str("base"), choice<RtcClock>("clock"), choice<RtcDriftFix>("driftfix")};

constexpr KeySpec kGlobal[] = {str("driver"), str("property"), str("value")};

constexpr KeySpec kKnobs[] = {
    boolean("no_user_config"), boolean("no_defaults"), boolean("no_graphic"), boolean("no_reboot"),
    boolean("no_shutdown"),    boolean("stopped"),     boolean("mlock"),      boolean("iommu_platform"),
};

constexpr KeySpec kSandbox[] = {
    boolean("enabled"),
    choice<SandboxPolicy>("obsolete"),
    choice<SandboxPolicy>("elevate_privileges"),
    choice<SandboxPolicy>("spawn"),
    choice<SandboxPolicy>("resource_control"),
};

constexpr KeySpec kIncoming[] = {choice<IncomingKind>("mode"), integer("fd"), str("command"), str("uri")};

constexpr KeySpec kFwCfg[] = {str("name"), str("file"), str("string")};

constexpr KeySpec kQmpSocket[] = {str("path"), boolean("server")};

constexpr KeySpec kQemu[] = {
    str("binary"), str("pidfile"), str("logfile"), {"extra_args", KeyType::string_array},
    str("user"), integer("uid"), integer("gid"),  {"groups", KeyType::integer_array},
};

constexpr KeySpec kSupervisor[] = {{"shutdown_timeout", KeyType::duration}, boolean("autostart")};

constexpr KeySpec kConfidential[] = {
    choice<ConfidentialKind>("type"), str("firmware"),  integer("cbitpos"),
    integer("reduced_phys_bits"),     boolean("debug"), str("host_path"),
};

constexpr KeySpec kCloudInit[] = {
    choice<CloudInitFormat>("format"),
    str("user_data"),
    str("meta_data"),
    str("network_config"),
};

constexpr KeySpec kIoThread[] = {str("id")};

constexpr KeySpec kDisk[] = {
    str("id"),
    str("file"),
    choice<DiskFormat>("format"),
    {"backing", KeyType::table, {}, "disk.backing"},
    choice<DiskBus>("bus"),
    choice<DiskMedia>("media"),
    str("controller"),
    integer("lun"),
    choice<DiskAio>("aio"),
    choice<DiskCache>("cache"),
    boolean("readonly"),
    boolean("share_rw"),
    boolean("write_cache"),
    boolean("discard"),
    str("serial"),
    str("iothread"),
    integer("num_queues"),
    boolean("config_wce"),
    integer("boot_index"),
    boolean("hotplug"),
    VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kDiskBacking[] = {str("file"), choice<DiskFormat>("format")};

constexpr KeySpec kScsiController[] = {
    str("id"), str("iothread"), integer("num_queues"), boolean("hotplug"), VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kNet[] = {
    str("id"),
    choice<NetBackend>("backend"),
    str("mac"),
    str("ifname"),
    str("script"),
    str("downscript"),
    boolean("vhost"),
    integer("queues"),
    {"fds", KeyType::integer_array},
    {"vhost_fds", KeyType::integer_array},
    str("socket"),
    str("host"),
    {"hostfwd", KeyType::string_array},
    {"link", KeyType::string, kLinkStates},
    boolean("hotplug"),
    VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kVirtioSerial[] = {str("id"), integer("max_ports"), boolean("hotplug"), VMFORGE_PLACEMENT_KEYS};

constexpr KeySpec kSerial[] = {
    str("id"),
    choice<CharBackend>("backend"),
    str("path"),
    boolean("server"),
    choice<SerialFrontend>("frontend"),
    str("controller"),
    str("name"),
    boolean("hotplug"),
};

constexpr KeySpec kFs9p[] = {
    str("id"),
    str("path"),
    str("tag"),
    choice<Fs9pSecurityModel>("security_model"),
    choice<Fs9pMultidev>("multidev"),
    boolean("readonly"),
    VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kVirtioFs[] = {
    str("id"), str("socket"), str("tag"), integer("queue_size"), boolean("hotplug"), VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kVhostUser[] = {
    str("id"),          choice<VhostUserKind>("type"), str("socket"), integer("num_queues"), integer("boot_index"),
    boolean("hotplug"), VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kVfio[] = {
    str("id"),       choice<VfioKind>("type"), str("host"),
    str("sysfsdev"), integer("vendor_id"),     integer("device_id"),
    str("pci_bus"),  str("pci_addr"),          str("romfile"),
    str("devno"),    boolean("hotplug"),
};

constexpr KeySpec kVsock[] = {str("id"), integer("cid"), integer("vhost_fd"), boolean("hotplug"),
                              VMFORGE_PLACEMENT_KEYS};

constexpr KeySpec kBalloon[] = {
    str("id"),
    boolean("deflate_on_oom"),
    boolean("free_page_reporting"),
    size("target"),
    VMFORGE_PLACEMENT_KEYS,
};

constexpr KeySpec kRng[] = {str("id"), str("source"), integer("max_bytes"), integer("period_ms"),
                            VMFORGE_PLACEMENT_KEYS};

constexpr KeySpec kPcieRootPort[] = {
    str("id"),
    integer("chassis"),
    integer("slot"),
    str("pci_addr"),
    boolean("multifunction"),
    integer("bus_reserve"),
    size("io_reserve"),
    size("mem_reserve"),
    size("pref32_reserve"),
    size("pref64_reserve"),
    str("romfile"),
};

constexpr KeySpec kPciBridge[] = {
    str("id"),       choice<BridgeKind>("type"), integer("chassis"),  boolean("shpc"),        str("pci_bus"),
    str("pci_addr"), size("io_reserve"),         size("mem_reserve"), size("pref64_reserve"), str("romfile"),
};

constexpr KeySpec kLoader[] = {str("id"), str("file"), integer("addr"), integer("cpu_num"), boolean("force_raw")};

constexpr KeySpec kIntelIommu[] = {str("id"), boolean("intremap"), boolean("device_iotlb"), boolean("caching_mode")};

constexpr KeySpec kPvPanic[] = {str("id")};

constexpr KeySpec kDimm[] = {
    str("id"),
    size("size"),
    choice<MemoryBackendKind>("backend"),
    str("path"),
    boolean("shared"),
    boolean("prealloc"),
    boolean("hugepages"),
    boolean("hotplug"),
};

constexpr KeySpec kNvdimm[] = {str("id"),         str("path"),     size("size"),
                               boolean("shared"), boolean("pmem"), boolean("readonly")};

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
    {"confidential_guest", "[confidential_guest]", kConfidential},
    {"cloud_init", "[cloud_init]", kCloudInit},
    {"iothread", "[[iothread]]", kIoThread},
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
