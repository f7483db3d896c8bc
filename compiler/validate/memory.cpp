// Validation of [memory], [[dimm]] and [[nvdimm]]: sizes, backends, slots and maxmem.
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

constexpr std::uint64_t kMiB = 1ull << 20;
// An NVDIMM maps its backing file page by page: 4 KiB multiples work (govmm's 64 KiB ones).
constexpr std::uint64_t kPage = 4096;
constexpr std::string_view kHugetlbfs = "/dev/hugepages";

/// The backend keys shared by [memory] and [[dimm]].
MemoryBackend read_backend(const Fields& f) {
  MemoryBackend b;
  b.path = f.path("path");
  b.shared = f.flag_or_default("shared");
  b.prealloc = f.flag_or_default("prealloc");
  b.hugepages = f.flag_or_default("hugepages");
  if (auto kind = f.choice<MemoryBackendKind>("backend")) {
    b.kind = *kind;
  } else if (b.path || b.hugepages) {
    // govmm's FileBackedMem/HugePages: a path (or hugetlbfs) means a file backend.
    b.kind = MemoryBackendKind::file;
  }
  if (b.kind == MemoryBackendKind::file && !b.path) {
    if (b.hugepages) {
      b.path = std::string(kHugetlbfs);
    } else {
      f.error("backend", fmt::format("{}: file-backed memory needs 'path' (a file or a directory such as a "
                                     "hugetlbfs mount)",
                                     f.owner()));
    }
  }
  f.only_if(b.kind == MemoryBackendKind::file, "path", "backend 'file'");
  if (b.hugepages && b.kind == MemoryBackendKind::ram) {
    f.error("hugepages", fmt::format("{}: 'hugepages' needs backend 'file' (on hugetlbfs) or 'memfd'", f.owner()));
  }
  return b;
}

/// Sizes of guest memory must be whole MiB (page and DIMM alignment without surprises), or
/// whole `unit`s where smaller ones work.
std::optional<ByteSize> read_mem_size(const Fields& f, std::string_view key, std::uint64_t unit = kMiB) {
  auto size = f.size(key);
  if (!size) return std::nullopt;
  if (size->bytes() == 0 || size->bytes() % unit != 0) {
    f.error(key, fmt::format("{}: '{}' must be a positive whole number of {}, not {}{}", f.owner(), key,
                             unit == kMiB ? "MiB" : fmt::format("{} KiB", unit >> 10), size->to_string(),
                             f.size_unit_hint(key)));
    return std::nullopt;
  }
  return size;
}

struct SlotBudget {
  std::uint32_t used = 0;
  std::uint64_t bytes = 0;
};

/// A DIMM or NVDIMM takes a slot and part of max - size.
void take_slot(const Fields& f, const Vm& vm, std::optional<ByteSize> size, SlotBudget& budget) {
  const Memory& mem = vm.memory;
  if (vm.machine.family == MachineFamily::microvm) {
    f.error("id", fmt::format("{}: microvm has no memory slots", f.owner()));
    return;
  }
  if (mem.slots == 0 || !mem.max) {
    f.error("id", fmt::format("{} needs [memory] 'slots' and 'max'", f.owner()));
    return;
  }
  if (++budget.used > mem.slots) {
    f.error("id", fmt::format("{} needs a memory slot, but [memory] 'slots' is {}", f.owner(), mem.slots));
    return;
  }
  if (!size) return;
  std::uint64_t room = mem.max->bytes() - std::min(mem.max->bytes(), mem.size.bytes());
  std::uint64_t left = room - std::min(room, budget.bytes);
  if (size->bytes() > left) {
    f.error("size",
            fmt::format("{} ({}) does not fit: [memory] 'max' leaves {} above 'size', and earlier DIMMs "
                        "take {}",
                        f.owner(), size->to_string(), ByteSize(room).to_string(), ByteSize(budget.bytes).to_string()));
    return;
  }
  budget.bytes += size->bytes();
}

}  // namespace

void validate_memory(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "memory", ctx);
  if (f.present()) vm.origins.emplace("memory", f.loc());
  Memory& mem = vm.memory;
  if (auto size = read_mem_size(f, "size")) mem.size = *size;
  mem.max = read_mem_size(f, "max");
  mem.slots = static_cast<std::uint32_t>(f.number_or_default("slots"));
  mem.backend = read_backend(f);
  if (mem.max && *mem.max < mem.size) {
    f.error("max", fmt::format("[memory]: 'max' ({}) must not be less than 'size' ({})", mem.max->to_string(),
                               mem.size.to_string()));
  }
  if (mem.max && mem.slots == 0) {
    f.error("max", "[memory]: 'max' needs 'slots' (how many DIMMs can be plugged up to 'max')");
  }
  if (mem.slots > 0 && !mem.max) {
    f.error("slots", "[memory]: 'slots' needs 'max' (the memory size DIMMs may grow to)");
  }
  if ((mem.max || mem.slots > 0) && vm.machine.family == MachineFamily::microvm) {
    f.error(mem.max ? "max" : "slots", "[memory]: memory hotplug ('max', 'slots') is not possible on microvm");
  }

  SlotBudget budget;
  for_each_table(root, "dimm", ctx, [&](Fields& d) {
    Dimm dimm;
    dimm.id = read_device_id(d, "dimm", vm);
    auto size = read_mem_size(d, "size");
    if (d.require("size") && size) dimm.size = *size;
    dimm.backend = read_backend(d);
    take_slot(d, vm, size, budget);
    dimm.hotplug = read_hotplug(d, vm, Transport::pci);
    vm.dimms.push_back(std::move(dimm));
  });
  for_each_table(root, "nvdimm", ctx, [&](Fields& n) {
    Nvdimm nv;
    nv.id = read_device_id(n, "nvdimm", vm);
    if (n.require("path")) nv.path = n.path("path").value_or("");
    auto size = read_mem_size(n, "size", kPage);
    if (n.require("size") && size) nv.size = *size;
    nv.shared = n.flag_or_default("shared");
    nv.pmem = n.flag_or_default("pmem");
    nv.readonly = n.flag_or_default("readonly");
    take_slot(n, vm, size, budget);
    vm.nvdimms.push_back(std::move(nv));
  });
}

}  // namespace vmforge
