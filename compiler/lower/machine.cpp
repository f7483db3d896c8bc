// Lowering of the machine-wide settings: name, machine type and accelerator, CPUs, memory,
// firmware, direct kernel boot, and the objects devices refer to (iothreads, confidential guest).
#include <algorithm>

#include <fmt/format.h>

#include "compiler/lower/families.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/qmp/ops_cpu.hpp"

namespace vmforge {
namespace {

constexpr std::string_view kCgFirmwareNode = "vmforge-cg-firmware";

std::string pflash_node(std::size_t unit) { return fmt::format("vmforge-pflash{}", unit); }

// Block nodes behind the machine's flash units, unit 0 first: SEV's OVMF, then [firmware] pflash.
std::vector<std::string> flash_units(const Vm& vm) {
  std::vector<std::string> nodes;
  const auto& cg = vm.confidential_guest;
  if (cg && cg->kind == ConfidentialKind::sev && cg->firmware) nodes.emplace_back(kCgFirmwareNode);
  for (std::size_t unit = 0; unit < vm.firmware.pflash.size(); ++unit) nodes.push_back(pflash_node(unit));
  return nodes;
}

// A flash image as a file node (the supervisor opens the file) under a raw format node named
// `node`, the one the machine's pflashN points at: never a bare file node, whose format QEMU
// would probe (A6).
void add_flash_image(LowerContext& ctx, std::string_view resource, std::string_view node, PassedFile file) {
  const bool read_only = file.open == FileOpen::read;
  const std::string file_node = fmt::format("{}.file", node);
  const std::string filename = ctx.pass_file(resource, std::move(file));
  ctx.arg("-blockdev", json_object([&](JsonWriter& w) {
            w.field("driver", "file").field("node-name", file_node).field("filename", filename);
            if (read_only) w.field("read-only", true);
          }));
  ctx.arg("-blockdev", json_object([&](JsonWriter& w) {
            w.field("driver", "raw").field("node-name", node).field("file", file_node);
            if (read_only) w.field("read-only", true);
          }));
}

bool ram_needs_backend(const MemoryBackend& b) {
  return b.kind != MemoryBackendKind::ram || b.shared || b.prealloc || b.hugepages;
}

void lower_machine_option(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  KvOption machine(vm.machine.type);
  for (const auto& [key, value] : vm.machine.options) machine.add(key, value);
  if (ram_needs_backend(vm.memory.backend)) machine.add("memory-backend", kRamBackendId);
  if (vm.machine.nvdimm || !vm.nvdimms.empty()) machine.on_off("nvdimm", true);
  const auto flash = flash_units(vm);
  for (std::size_t unit = 0; unit < flash.size(); ++unit) machine.add(fmt::format("pflash{}", unit), flash[unit]);
  if (vm.confidential_guest) machine.add("confidential-guest-support", vm.confidential_guest->id.str());
  // Interrupt remapping needs a split irqchip under KVM (QEMU refuses it with the in-kernel
  // one); TCG ignores the setting, so it also holds when the supervisor falls back.
  const bool intremap =
      std::any_of(vm.intel_iommus.begin(), vm.intel_iommus.end(), [](const auto& i) { return i.intremap; });
  const auto option_set = [&](std::string_view a, std::string_view b) {
    return std::any_of(vm.machine.options.begin(), vm.machine.options.end(),
                       [&](const auto& o) { return o.first == a || o.first == b; });
  };
  if (intremap && !option_set("kernel-irqchip", "kernel_irqchip")) machine.add("kernel-irqchip", "split");
  // What -nographic sets besides -display none (unless [machine.options] says): firmware that
  // draws (SeaBIOS menus, OpenBIOS) is told there is no screen.
  if (vm.knobs.no_graphic && !option_set("graphics", "graphics")) machine.on_off("graphics", false);
  ctx.kv("-machine", machine, "machine");
  // -accel, never "-machine accel=": QEMU 7.2 refuses the two together (qemu-facts §9). Every
  // entry in order: QEMU tries them so and takes the first that initialises ("falling back to
  // tcg" on stderr).
  for (Accel accel : vm.machine.accel) ctx.arg("-accel", std::string(to_string(accel)));
}

void lower_cpu(LowerContext& ctx) {
  const Cpu& cpu = ctx.vm().cpu;
  if (cpu.model || !cpu.features.empty()) {
    KvOption model(cpu.model.value_or("qemu64"));
    for (const auto& feature : cpu.features) model.item(feature);
    ctx.kv("-cpu", model, "cpu");
  }
  KvOption smp;
  smp.add("cpus", std::uint64_t{cpu.count}).add("maxcpus", std::uint64_t{cpu.max});
  smp.add("sockets", std::uint64_t{cpu.sockets});
  if (cpu.dies > 1) smp.add("dies", std::uint64_t{cpu.dies});
  smp.add("cores", std::uint64_t{cpu.cores}).add("threads", std::uint64_t{cpu.threads});
  ctx.kv("-smp", smp, "cpu");
}

void lower_ram(LowerContext& ctx) {
  const Memory& mem = ctx.vm().memory;
  KvOption m;
  m.add("size", qemu_size(mem.size));
  if (mem.slots > 0) m.add("slots", std::uint64_t{mem.slots});
  if (mem.max) m.add("maxmem", qemu_size(*mem.max));
  ctx.kv("-m", m, "memory");
  if (ram_needs_backend(mem.backend)) {
    ctx.arg("-object", qmp::arguments(memory_backend(std::string(kRamBackendId), mem.size, mem.backend)));
  }
}

void lower_firmware(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  if (vm.firmware.bios) ctx.arg("-bios", *vm.firmware.bios);
  // -pflash is a -drive in disguise; a named -blockdev plus `-machine pflashN=` is the JSON form.
  for (std::size_t unit = 0; unit < vm.firmware.pflash.size(); ++unit) {
    add_flash_image(ctx, "firmware", pflash_node(unit), {vm.firmware.pflash[unit], FileOpen::read_write});
  }
  if (vm.kernel) {
    // Verbatim: these options are not key=value, so commas are literal (qemu-facts §1.3).
    ctx.arg("-kernel", vm.kernel->path);
    if (vm.kernel->initrd) ctx.arg("-initrd", *vm.kernel->initrd);
    if (vm.kernel->cmdline) ctx.arg("-append", *vm.kernel->cmdline);
  }
}

void lower_confidential(LowerContext& ctx) {
  const auto& cg = ctx.vm().confidential_guest;
  if (!cg) return;
  const std::string& id = cg->id.str();
  switch (cg->kind) {
    case ConfidentialKind::sev:
      ctx.arg("-object", json_object([&](JsonWriter& w) {
                w.field("qom-type", "sev-guest").field("id", id);
                w.field("cbitpos", cg->cbitpos).field("reduced-phys-bits", cg->reduced_phys_bits);
              }));
      break;
    case ConfidentialKind::tdx:
      ctx.arg("-object", json_object([&](JsonWriter& w) {
                w.field("qom-type", "tdx-guest").field("id", id);
                if (cg->debug) w.field("debug", true);
              }));
      break;
    case ConfidentialKind::s390_pv:
      ctx.arg("-object", json_object([&](JsonWriter& w) { w.field("qom-type", "s390-pv-guest").field("id", id); }));
      break;
    case ConfidentialKind::pef:
      ctx.arg("-object", json_object([&](JsonWriter& w) { w.field("qom-type", "pef-guest").field("id", id); }));
      break;
  }
  // The firmware that goes with it: OVMF as read-only flash (SEV), TDVF through the loader
  // (TDX), the TPM proxy (PEF).
  if (cg->firmware && cg->kind == ConfidentialKind::sev) {
    add_flash_image(ctx, "confidential_guest", kCgFirmwareNode, {*cg->firmware, FileOpen::read});
  }
  if (cg->firmware && cg->kind == ConfidentialKind::tdx) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "loader").field("id", "vmforge-cg-firmware").field("file", *cg->firmware);
            }));
  }
  if (cg->host_path && cg->kind == ConfidentialKind::pef) {
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "spapr-tpm-proxy").field("id", "vmforge-cg-tpm").field("host-path", *cg->host_path);
            }));
  }
}

// `-cpu` model name -> the QOM type device_add wants for a hot-plugged vCPU (qemu-facts §4.1).
std::string cpu_type(const Cpu& cpu) { return cpu.model.value_or("qemu64") + "-x86_64-cpu"; }

void lower_iothreads(LowerContext& ctx) {
  for (const auto& io : ctx.vm().iothreads) {
    ctx.arg("-object", json_object([&](JsonWriter& w) { w.field("qom-type", "iothread").field("id", io.id.str()); }));
  }
}

std::string cpu_resource(std::uint32_t slot) { return ResourceKey{ResourceKind::cpu, fmt::format("{}", slot)}.str(); }

}  // namespace

std::string cpu_device_id(std::uint32_t slot) { return fmt::format("vmforge-cpu{}", slot); }

std::vector<PlanStep> cpu_plug(const Vm& vm, std::uint32_t slot) {
  const Cpu& cpu = vm.cpu;
  // Slots are numbered like QEMU's CPU indexes: threads vary fastest, then cores, dies, sockets.
  const std::uint32_t thread = slot % cpu.threads;
  const std::uint32_t core = slot / cpu.threads % cpu.cores;
  const std::uint32_t die = slot / (cpu.threads * cpu.cores) % cpu.dies;
  const std::uint32_t socket = slot / (cpu.threads * cpu.cores * cpu.dies);
  const std::string id = cpu_device_id(slot);
  qmp::CpuProps props;
  props.socket_id = socket;
  if (cpu.dies > 1) props.die_id = die;
  props.core_id = core;
  props.thread_id = thread;
  return {{cpu_resource(slot), qmp::device_add(qmp::CpuDeviceAdd{cpu_type(cpu), id, props}), qmp::device_del_cpu(id)}};
}

std::vector<PlanStep> cpu_unplug(std::uint32_t slot) {
  return {{cpu_resource(slot), qmp::device_del_cpu(cpu_device_id(slot)), std::nullopt}};
}

void lower_machine(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  ctx.kv("-name", KvOption().add("guest", vm.name), "name");
  if (vm.uuid) ctx.arg("-uuid", vm.uuid->to_string());
  lower_machine_option(ctx);
  lower_cpu(ctx);
  lower_ram(ctx);
  lower_firmware(ctx);
  lower_confidential(ctx);
  lower_iothreads(ctx);
}

}  // namespace vmforge
