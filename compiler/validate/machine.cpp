// Validation of [machine], [cpu], what the machine boots ([kernel], [firmware],
// [confidential_guest]) and the [[iothread]] objects devices refer to.
#include <algorithm>

#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Machine properties vmforge sets itself from other keys (named), giving them twice would conflict.
constexpr std::pair<std::string_view, std::string_view> kOwnedMachineOptions[] = {
    {"type", "[machine] type"},
    {"accel", "[machine] accel"},
    {"memory-backend", "[memory]"},
    {"nvdimm", "[machine] nvdimm = true"},
    {"pflash0", "[firmware] pflash"},
    {"pflash1", "[firmware] pflash"},
    {"confidential-guest-support", "[confidential_guest]"},
};

void read_machine_options(const Fields& f, Vm& vm) {
  const RawValue* options = f.raw("options");
  if (!options || options->kind != RawValue::Kind::table) return;
  for (const RawEntry& entry : options->entries) {
    const RawValue& value = entry.value;
    if (!is_name_text(entry.key, "-_.")) {
      f.ctx().error(entry.key_loc, fmt::format("[machine.options]: {} is not a machine property name (letters, "
                                               "digits, '-', '_' and '.')",
                                               quote_text(entry.key)));
      continue;
    }
    const auto owned = std::find_if(std::begin(kOwnedMachineOptions), std::end(kOwnedMachineOptions),
                                    [&](const auto& o) { return o.first == entry.key; });
    if (owned != std::end(kOwnedMachineOptions)) {
      f.ctx().error(entry.key_loc, fmt::format("[machine.options]: '{}' is set by vmforge from other keys; "
                                               "remove it here and use {}",
                                               entry.key, owned->second));
      continue;
    }
    std::string text;
    if (value.kind == RawValue::Kind::boolean) text = value.boolean ? "on" : "off";
    else if (value.kind == RawValue::Kind::integer) text = fmt::format("{}", value.integer);
    else if (value.kind == RawValue::Kind::string) text = value.text;
    else continue;
    vm.machine.options.emplace_back(entry.key, std::move(text));
  }
  std::sort(vm.machine.options.begin(), vm.machine.options.end());
}

void read_topology(const Fields& f, Cpu& cpu) {
  auto sockets = f.number("sockets");
  cpu.dies = static_cast<std::uint32_t>(f.number_or_default("dies"));
  auto cores = f.number("cores");
  cpu.threads = static_cast<std::uint32_t>(f.number_or_default("threads"));
  std::uint64_t fixed = std::uint64_t{cpu.dies} * cpu.threads;
  if (sockets && cores) {
    cpu.sockets = static_cast<std::uint32_t>(*sockets);
    cpu.cores = static_cast<std::uint32_t>(*cores);
    std::uint64_t product = fixed * cpu.sockets * cpu.cores;
    if (product != cpu.max) {
      f.error(f.has("max") ? "max" : "count",
              fmt::format("[cpu]: the topology sockets={} x dies={} x cores={} x threads={} gives {} CPUs, but "
                          "'max' is {}; QEMU needs them equal",
                          cpu.sockets, cpu.dies, cpu.cores, cpu.threads, product, cpu.max));
    }
    return;
  }
  // One of sockets/cores is derived so the product is exactly max (cores by default).
  std::uint64_t known = fixed * (sockets ? *sockets : 1) * (cores ? *cores : 1);
  if (cpu.max % known != 0) {
    f.error(
        sockets ? "sockets"
        : cores ? "cores"
                : "threads",
        fmt::format("[cpu]: 'max' ({}) is not a multiple of the given topology ({} CPUs per unit)", cpu.max, known));
    return;
  }
  cpu.sockets = static_cast<std::uint32_t>(sockets.value_or(cores ? cpu.max / known : 1));
  cpu.cores = static_cast<std::uint32_t>(cores.value_or(cpu.max / known));
}

}  // namespace

MachineFamily machine_family(std::string_view type) {
  if (type == "q35" || starts_with(type, "pc-q35-")) return MachineFamily::q35;
  if (type == "pc" || starts_with(type, "pc-i440fx-")) return MachineFamily::pc;
  if (type == "microvm") return MachineFamily::microvm;
  return MachineFamily::other;
}

bool machine_has_pci(const Machine& machine) {
  if (machine.family != MachineFamily::microvm) return true;
  for (const auto& [key, value] : machine.options) {
    if (key == "pcie" && value == "on") return true;
  }
  return false;
}

void validate_machine(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "machine", ctx);
  if (f.present()) vm.origins.emplace("machine", f.loc());
  Machine& m = vm.machine;
  if (auto type = f.nonempty("type")) {
    if (!is_name_text(*type, "._-")) {
      f.error("type", fmt::format("[machine]: {} is not a machine type name (letters, digits, '.', '_', '-')",
                                  quote_text(*type)));
    } else {
      m.type = *type;
      m.family = machine_family(*type);
    }
  }
  m.nvdimm = f.flag_or_default("nvdimm");
  if (f.has("accel")) {
    std::vector<Accel> accel;
    for (const std::string& name : f.texts("accel")) {
      auto value = enum_from_string<Accel>(name);
      if (!value) continue;  // reported by the shape check
      if (std::find(accel.begin(), accel.end(), *value) != accel.end()) {
        f.error("accel", fmt::format("[machine]: accelerator '{}' is listed twice", name));
        continue;
      }
      accel.push_back(*value);
    }
    const RawValue* list = f.raw("accel");
    if (list->kind == RawValue::Kind::array &&
        static_cast<std::int64_t>(list->items.size()) < f.item_count("accel").min) {
      f.error("accel", "[machine]: 'accel' must name at least one accelerator, e.g. [\"kvm\", \"tcg\"]");
    }
    if (!accel.empty()) m.accel = std::move(accel);
  }
  read_machine_options(f, vm);
  if (auto slots = f.number("hotplug_slots")) {
    m.hotplug_slots = static_cast<std::uint32_t>(*slots);
    if (*slots > 0 && m.family != MachineFamily::q35) {
      f.error("hotplug_slots", fmt::format("[machine]: 'hotplug_slots' only applies to q35 (pcie-root-ports); "
                                           "machine '{}' {}",
                                           m.type,
                                           m.family == MachineFamily::pc ? "hot-plugs into its 30 ACPI slots"
                                                                         : "cannot reserve hot-plug slots"));
    }
  }
  m.vga = f.choice<Vga>("vga");
}

void validate_cpu(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "cpu", ctx);
  if (f.present()) vm.origins.emplace("cpu", f.loc());
  Cpu& cpu = vm.cpu;
  cpu.count = static_cast<std::uint32_t>(f.number_or_default("count"));
  cpu.max = static_cast<std::uint32_t>(f.number("max").value_or(cpu.count));
  if (cpu.max < cpu.count) {
    f.error("max", fmt::format("[cpu]: 'max' ({}) must not be less than 'count' ({})", cpu.max, cpu.count));
    cpu.max = cpu.count;
  }
  if (cpu.max > cpu.count && vm.machine.family == MachineFamily::microvm) {
    f.error("max", "[cpu]: CPU hotplug ('max' > 'count') is not possible on microvm");
  }
  read_topology(f, cpu);
  if (auto model = f.nonempty("model")) {
    if (!is_name_text(*model, "._-")) {
      f.error("model", fmt::format("[cpu]: {} is not a CPU model name (letters, digits, '.', '_', '-'); put "
                                   "feature flags in 'features'",
                                   quote_text(*model)));
    }
    cpu.model = *model;
  }
  for (const std::string& feature : f.texts("features")) {
    bool ok = feature.size() > 1 && (feature[0] == '+' || feature[0] == '-') &&
              is_name_text(std::string_view(feature).substr(1), "._-");
    if (!ok) {
      f.error("features", fmt::format("[cpu]: feature {} must be '+name' or '-name'", quote_text(feature)));
      continue;
    }
    cpu.features.push_back(feature);
  }
  if (!cpu.features.empty() && !cpu.model) {
    f.error("features", "[cpu]: 'features' needs a 'model' to apply to");
  }
}

void validate_kernel(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "kernel", ctx);
  if (!f.present()) return;
  vm.origins.emplace("kernel", f.loc());
  Kernel k;
  if (f.require("path")) k.path = f.path("path").value_or("");
  k.initrd = f.path("initrd");
  k.cmdline = f.text("cmdline");
  vm.kernel = std::move(k);
}

void validate_firmware(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "firmware", ctx);
  if (!f.present()) return;
  vm.origins.emplace("firmware", f.loc());
  vm.firmware.bios = f.path("bios");
  for (const std::string& file : f.texts("pflash")) {
    if (file.empty()) {
      f.error("pflash", "[firmware]: 'pflash' entries must not be empty");
      continue;
    }
    vm.firmware.pflash.push_back(f.ctx().resolve(file));
  }
  const KeyRange images = f.item_count("pflash");
  if (static_cast<std::int64_t>(vm.firmware.pflash.size()) > images.max) {
    f.error("pflash", fmt::format("[firmware]: at most {} 'pflash' images (code and variables), not {}", images.max,
                                  vm.firmware.pflash.size()));
  }
}

void validate_confidential(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "confidential_guest", ctx);
  if (!f.present()) return;
  vm.origins.emplace("confidential_guest", f.loc());
  ConfidentialGuest cg;
  if (f.require("type")) cg.kind = f.choice<ConfidentialKind>("type").value_or(cg.kind);
  bool sev = cg.kind == ConfidentialKind::sev;
  bool tdx = cg.kind == ConfidentialKind::tdx;
  bool pef = cg.kind == ConfidentialKind::pef;
  cg.firmware = f.path("firmware");
  f.only_if(sev || tdx, "firmware", "types 'sev' and 'tdx'");
  f.only_if(sev, "cbitpos", "type 'sev'");
  f.only_if(sev, "reduced_phys_bits", "type 'sev'");
  f.only_if(tdx, "debug", "type 'tdx'");
  f.only_if(pef, "host_path", "type 'pef'");
  if (sev) {
    if (f.require("cbitpos")) cg.cbitpos = static_cast<std::uint32_t>(f.number("cbitpos").value_or(cg.cbitpos));
    if (f.require("reduced_phys_bits")) {
      cg.reduced_phys_bits = static_cast<std::uint32_t>(f.number("reduced_phys_bits").value_or(cg.reduced_phys_bits));
    }
  }
  if (sev && cg.firmware && !vm.firmware.pflash.empty()) {
    f.error("firmware", "[confidential_guest]: 'firmware' is the SEV guest's pflash image, but [firmware] 'pflash' "
                        "is set too; give the image once");
  }
  if (tdx) {
    f.require("firmware");
    cg.debug = f.flag_or_default("debug");
  }
  if (pef) cg.host_path = f.path("host_path");
  bool x86 = vm.machine.family == MachineFamily::q35 || vm.machine.family == MachineFamily::pc;
  if ((sev || tdx) && !x86) {
    f.error("type",
            fmt::format("[confidential_guest]: type '{}' needs an x86 machine (q35 or pc)", to_string(cg.kind)));
  }
  vm.confidential_guest = std::move(cg);
}

void validate_iothreads(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "iothread", ctx,
                 [&](Fields& f) { vm.iothreads.push_back({read_device_id(f, "iothread", vm)}); });
}

}  // namespace vmforge
