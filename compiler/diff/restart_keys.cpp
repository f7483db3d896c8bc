// The argv-only sections of a manifest and how each is compared.
#include "compiler/diff/restart_keys.hpp"

#include <map>

#include <fmt/format.h>

#include "compiler/model/model.hpp"
#include "compiler/model/resource_kind.hpp"

namespace vmforge {
namespace {

constexpr std::string_view kArgvReason = "QEMU takes it from its command line at start-up";

void compare_whole(std::vector<RestartKey>& out, bool same, std::string key, std::string_view reason) {
  if (!same) out.push_back({std::move(key), std::string(reason), "changed"});
}

// Tables of devices with ids: each id added, removed or changed is its own key.
// `changed_only`: additions and removals are the live diff's (it reports them per resource).
template <class T>
void compare_by_id(std::vector<RestartKey>& out, std::string_view table, const std::vector<T>& running,
                   const std::vector<T>& desired, std::string_view reason, bool changed_only = false) {
  std::map<std::string, const T*> before;
  for (const T& item : running) before.emplace(item.id.str(), &item);
  for (const T& item : desired) {
    auto it = before.find(item.id.str());
    std::string key = fmt::format("{} '{}'", table, item.id.str());
    if (it == before.end()) {
      if (!changed_only) out.push_back({std::move(key), std::string(reason), "added"});
    } else {
      if (!(*it->second == item)) out.push_back({std::move(key), std::string(reason), "changed"});
      before.erase(it);
    }
  }
  for (const auto& [id, item] : before) {
    if (changed_only) break;
    out.push_back({fmt::format("{} '{}'", table, id), std::string(reason), "removed"});
  }
}

// Controllers are live resources (the diff adds, removes or restarts for them); here only a
// changed property of one in the argv counts.
template <class T>
std::vector<T> cold(const std::vector<T>& items) {
  std::vector<T> out;
  for (const T& item : items) {
    if (!item.hotplug) out.push_back(item);
  }
  return out;
}

// The balloon's target is live (the diff sends it); its other settings are argv only.
std::vector<Balloon> without_target(std::vector<Balloon> balloons) {
  for (Balloon& b : balloons) b.target.reset();
  return balloons;
}

void compare_machine(std::vector<RestartKey>& out, const Vm& a, const Vm& b) {
  Machine ma = a.machine;
  Machine mb = b.machine;
  ma.hotplug_slots = mb.hotplug_slots;
  if (ma.type != mb.type) {
    out.push_back({"[machine] 'type'", "the machine type is fixed when QEMU starts",
                   fmt::format("'{}' -> '{}'", a.machine.type, b.machine.type)});
    ma.type = mb.type;
    ma.family = mb.family;
  }
  compare_whole(out, ma == mb, "[machine]", kArgvReason);
}

void compare_cpu(std::vector<RestartKey>& out, const Vm& a, const Vm& b) {
  if (a.cpu.max != b.cpu.max) {
    out.push_back({"[cpu] 'max'", "QEMU creates its CPU slots (maxcpus) at start-up",
                   fmt::format("{} -> {}", a.cpu.max, b.cpu.max)});
  }
  Cpu ca = a.cpu;
  Cpu cb = b.cpu;
  ca.count = cb.count;
  ca.max = cb.max;
  if (a.cpu.max != b.cpu.max) {
    // Validation derives the topology from max when the manifest gives none: not a second key.
    ca.sockets = cb.sockets;
    ca.dies = cb.dies;
    ca.cores = cb.cores;
    ca.threads = cb.threads;
  }
  compare_whole(out, ca == cb, "[cpu]", "the CPU model and topology are fixed at start-up");
}

void compare_memory(std::vector<RestartKey>& out, const Vm& a, const Vm& b) {
  if (a.memory.size != b.memory.size) {
    out.push_back({"[memory] 'size'", "boot RAM is fixed at start-up; add a [[dimm]] with hotplug = true instead",
                   fmt::format("{} -> {}", a.memory.size.to_string(), b.memory.size.to_string())});
  }
  Memory ma = a.memory;
  ma.size = b.memory.size;
  compare_whole(out, ma == b.memory, "[memory]", "QEMU reserves hotplug memory at start-up");
}

}  // namespace

std::vector<RestartKey> restart_keys(const Vm& a, const Vm& b) {
  std::vector<RestartKey> out;
  compare_whole(out, a.uuid == b.uuid, "uuid", kArgvReason);
  compare_machine(out, a, b);
  compare_cpu(out, a, b);
  compare_memory(out, a, b);
  compare_whole(out, a.kernel == b.kernel, "[kernel]", "the kernel is loaded at start-up");
  compare_whole(out, a.firmware == b.firmware, "[firmware]", "firmware is loaded at start-up");
  compare_whole(out, a.rtc == b.rtc, "[rtc]", kArgvReason);
  compare_whole(out, a.globals == b.globals, "[[global]]", kArgvReason);
  compare_whole(out, a.knobs == b.knobs, "[knobs]", kArgvReason);
  compare_whole(out, a.sandbox == b.sandbox, "[sandbox]", "the seccomp sandbox is installed at start-up");
  compare_whole(out, a.incoming == b.incoming, "[incoming]", kArgvReason);
  compare_whole(out, a.fw_cfg == b.fw_cfg, "[[fw_cfg]]", "fw_cfg entries are read by firmware at boot");
  compare_whole(out, a.qmp_sockets == b.qmp_sockets, "[[qmp_socket]]", kArgvReason);
  compare_whole(out, a.qemu == b.qemu, "[qemu]", "the binary and its arguments are fixed at start-up");
  compare_whole(out, a.confidential_guest == b.confidential_guest, "[confidential_guest]",
                "guest memory encryption is set up at start-up");
  compare_whole(out, a.cloud_init == b.cloud_init, "[cloud_init]",
                "the seed image is built when the VM starts and read by the guest at boot");
  constexpr std::string_view kNoHotplug = "vmforge does not hot-plug this kind of device";
  compare_by_id(out, "iothread", a.iothreads, b.iothreads, kArgvReason);
  compare_by_id(out, facts(ResourceKind::scsi_controller).table, cold(a.scsi_controllers), cold(b.scsi_controllers),
                kArgvReason, true);
  compare_by_id(out, facts(ResourceKind::virtio_serial).table, cold(a.virtio_serials), cold(b.virtio_serials),
                kArgvReason, true);
  compare_by_id(out, facts(ResourceKind::balloon).table, without_target(a.balloons), without_target(b.balloons),
                kArgvReason, true);
  compare_by_id(out, "fs_9p", a.fs_9p, b.fs_9p, "QEMU has no QMP command to add a 9p filesystem (no fsdev_add)");
  compare_by_id(out, facts(ResourceKind::vhost_user).table, a.vhost_users, b.vhost_users, kNoHotplug);
  compare_by_id(out, "rng", a.rngs, b.rngs, kNoHotplug);
  compare_by_id(out, "pcie_root_port", a.pcie_root_ports, b.pcie_root_ports,
                "nothing can be hot-plugged onto pcie.0, root ports included");
  compare_by_id(out, "pci_bridge", a.pci_bridges, b.pci_bridges, kNoHotplug);
  compare_by_id(out, "loader", a.loaders, b.loaders, "loaders copy data into guest memory at start-up");
  compare_by_id(out, "intel_iommu", a.intel_iommus, b.intel_iommus, kArgvReason);
  compare_by_id(out, "pvpanic", a.pvpanics, b.pvpanics, kNoHotplug);
  compare_by_id(out, "nvdimm", a.nvdimms, b.nvdimms, kNoHotplug);
  return out;
}

}  // namespace vmforge
