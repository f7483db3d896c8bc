// Classifying the differences between a desired manifest and what a VM has.
#include "compiler/diff/diff.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/diff/restart_keys.hpp"
#include "compiler/lower/io_limits.hpp"
#include "compiler/lower/live_steps.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/lower/media_steps.hpp"
#include "compiler/model/kind_devices.hpp"
#include "compiler/model/model.hpp"
#include "compiler/model/units.hpp"

namespace vmforge {
namespace {

// Execution order of the change groups (see Diff::changes). A removal whose device sits on a
// counted free root port frees nothing an addition uses, so it waits for the additions
// (`remove`); any other may free what an addition needs (a pc slot, a DIMM slot, a SCSI unit),
// so it goes first (`remove_early`), re-plugged by its undo if the apply fails.
enum class Phase { leak, remove_early, update, add, balloon, replace, remove, restart };

// Changes of one group pipeline; a group starts once the one before it completed.
int group(Phase phase) {
  switch (phase) {
    case Phase::leak: return 0;
    case Phase::remove_early: return 1;
    case Phase::update:
    case Phase::add:
    case Phase::balloon: return 2;
    case Phase::replace:
    case Phase::remove: return 3;
    case Phase::restart: return 4;
  }
  return 4;
}

struct Pending {
  Phase phase;
  Change change;
};

// Controllers are plugged before the devices on their bus and unplugged after them; a
// [[throttle_group]] is made or changed before the disks that join it (its add and its update
// are both Phase::update), and deleted after they left it.
int rank(const Pending& p) {
  const auto& device = p.change.device;
  if (!device || !(facts(device->kind).controller || device->kind == ResourceKind::throttle_group)) return 1;
  return p.phase == Phase::add || p.phase == Phase::update ? 0 : 2;
}

// Where a device is in the manifest, as `check` names it: "disk 'root'".
std::string manifest_place(const Resource& r) {
  const std::string_view table = facts(r.kind).table;
  return fmt::format("{} '{}'", table.empty() ? facts(r.kind).name : table, r.id);
}

std::string quoted_change(const std::string& prop, const std::string& from, const std::string& to) {
  return fmt::format("{}: '{}' -> '{}'", prop, from, to);
}

// Properties QEMU changes on a live device of this kind without unplugging it.
bool live_property(const Resource& want, std::string_view prop) {
  const auto live = facts(want.kind).live_props;
  if (std::find(live.begin(), live.end(), prop) == live.end()) return false;
  if (want.kind != ResourceKind::disk || (prop != "file" && prop != "format")) return true;
  // A disk's medium changes live only in a drive with a tray.
  auto it = want.props.find("driver");
  return it != want.props.end() && (it->second == "scsi-cd" || it->second == "ide-cd");
}

std::string_view remove_note(ResourceKind kind) {
  if (kind == ResourceKind::dimm) {
    return "the memory backend is deleted only after DEVICE_DELETED for this id (QEMU refuses while the "
           "DIMM holds it)";
  }
  return "backends are removed only after DEVICE_DELETED for this id; a guest that does not release the "
         "device within the timeout is reported and its backends are left in place";
}

// Devices that sit on a PCI bus of their own (q35: a root port).
bool needs_port(const Resource& r) {
  auto it = r.props.find("driver");
  const bool pci = it != r.props.end() && it->second.ends_with("-pci");
  switch (facts(r.kind).port) {
    case PortUse::never: return false;
    case PortUse::if_pci: return pci;
    case PortUse::always: return true;
  }
  return false;
}

// Lets `place` set the placement of the device behind `r` in `vm`; false when its kind never
// sits on a PCI bus of its own, or `place` finds the manifest placed it already.
template <typename Place>
bool pin_device(Vm& vm, const Resource& r, Place place) {
  if (facts(r.kind).port == PortUse::never) return false;
  return with_devices(vm, r.kind, [&](auto& items) {
    if constexpr (!requires { items.front().placement.bus; }) {
      return false;
    } else {
      for (auto& item : items) {
        if (item.id.str() == r.id) return place(item.placement);
      }
      return false;
    }
  });
}

// q35: the device on root port `port`, unless the manifest chose its bus.
bool pin_to_port(Vm& vm, const Resource& r, const std::string& port) {
  return pin_device(vm, r, [&](Placement& p) {
    if (p.bus) return false;
    p.bus = DeviceId(port);
    return true;
  });
}

// pc: the device in `slot` of pci.0, unless the manifest chose its bus or address.
bool pin_to_slot(Vm& vm, const Resource& r, std::uint8_t slot) {
  return pin_device(vm, r, [&](Placement& p) {
    if (p.bus || p.addr) return false;
    p.addr = PciAddress(slot, 0);
    return true;
  });
}

// Pins `want` in `pinned` to the first of `free` (root ports or slots of pci.0) with `pin`, and
// says so in `change` with `note`. False when `want` needs one and none is left.
template <typename Place, typename Pin, typename Note>
bool take_free(std::optional<std::vector<Place>>& free, Vm& pinned, const Resource& want, Change& change, Pin pin,
               Note note) {
  if (!free || !needs_port(want)) return true;
  if (free->empty()) return false;
  if (pin(pinned, want, free->front())) {
    change.notes.push_back(note(free->front()));
    free->erase(free->begin());
  }
  return true;
}

// Limits from a group's or a disk's props (QEMU's defaults read as unset).
IoLimits limits_of(const Resource& r) {
  IoLimits limits;
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    auto it = r.props.find(std::string(kIoLimitNames[i].key));
    if (it == r.props.end()) continue;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    if (ec == std::errc() && end == it->second.data() + it->second.size() &&
        value != io_limit_unset(kIoLimitNames[i].part)) {
      limits.values[i] = value;
    }
  }
  return limits;
}

// How a disk's device is throttled, from its props.
DiskThrottle throttle_of(const Resource& disk) {
  auto group = disk.props.find("throttle_group");
  if (group == disk.props.end() || group->second == kNoThrottleGroup) return {};
  return {group->second, limits_of(disk)};
}

bool is_limit_prop(std::string_view prop) {
  return prop == "throttle_group" || std::any_of(kIoLimitNames.begin(), kIoLimitNames.end(),
                                                 [&](const IoLimitName& name) { return name.key == prop; });
}

class Differ {
 public:
  Differ(const Vm& desired, const Current& current)
      : desired_(desired),
        current_(current),
        want_(resources_of(desired)),
        free_ports_(current.resources.facts().free_ports),
        free_slots_(current.resources.facts().free_slots) {
    if (current.applied) applied_ = resources_of(*current.applied);
  }

  Result<Diff> run();

 private:
  Result<void> diff_leaks();
  Result<void> diff_cpus();
  Result<void> diff_device(const std::string& key, const Resource* want, const Resource* have);
  Result<void> add_device(const Resource& want, Phase phase, Change change);
  Result<void> update_device(const Resource& want, const Resource& have, const std::vector<std::string>& live);
  Result<void> update_balloon(const Resource& want, const Resource& have, Change change);
  Result<void> update_disk(const Resource& want, const Resource& have, const std::vector<std::string>& live,
                           Change& change);
  Result<void> resize_disk(const Resource& want, const Resource& have, Change& change);
  const Disk* desired_disk(std::string_view id) const;
  DiskThrottle observed_throttle(const Resource& disk) const;
  void diff_group(const std::string& key, const Resource* want, const Resource* have);
  Result<void> resend_balloon_target();
  Result<std::vector<PlanStep>> unplug(const ResourceKey& device) const;
  void add_replug_undo(const ResourceKey& device, std::vector<PlanStep>& steps) const;
  const Vm* owner_vm(std::string_view key) const;
  void restart(std::string resource, std::string key, std::string reason, std::vector<std::string> details = {},
               std::optional<ResourceKey> device = std::nullopt);
  void push(Phase phase, Change change, std::optional<ResourceKey> device);

  const Vm& desired_;
  const Current& current_;
  ResourceSet want_;
  ResourceSet applied_;
  std::optional<std::vector<std::string>> free_ports_;
  std::optional<std::vector<std::uint8_t>> free_slots_;
  std::vector<Pending> pending_;
};

const Vm* Differ::owner_vm(std::string_view key) const {
  if (current_.applied && applied_.find(key)) return current_.applied;
  if (want_.find(key)) return &desired_;
  return nullptr;
}

Result<std::vector<PlanStep>> Differ::unplug(const ResourceKey& device) const {
  const Vm* vm = owner_vm(device.str());
  if (!vm) return unexpected(Error(fmt::format("no manifest describes '{}'", device.str())));
  VMFORGE_TRY(auto steps, unplug_steps(*vm, device));
  if (vm == current_.applied) add_replug_undo(device, steps);
  return steps;
}

// The undo of each unplug step is the plug step it reverses (plug steps are undone by the
// unplug calls, in reverse), built from the applied manifest with the device on the root port
// it was seen on: the undo of a whole removal plugs the device back as it was. A step with an
// undo of its own keeps it (a log's fd set comes back appending, not truncating).
void Differ::add_replug_undo(const ResourceKey& device, std::vector<PlanStep>& steps) const {
  const Resource* made = applied_.find(device.str());
  if (!made) return;
  Vm pinned = *current_.applied;
  const MachineFacts& facts = current_.resources.facts();
  if (auto port = facts.device_ports.find(made->id); port != facts.device_ports.end()) {
    pin_to_port(pinned, *made, port->second);
  }
  if (auto slot = facts.device_slots.find(made->id); slot != facts.device_slots.end()) {
    pin_to_slot(pinned, *made, slot->second);
  }
  auto plug = plug_steps(pinned, device);
  if (!plug) return;
  for (PlanStep& step : steps) {
    for (const PlanStep& p : *plug) {
      if (!step.undo && p.undo && p.undo->command == step.call.command && p.undo->arguments == step.call.arguments) {
        step.undo = p.call;
      }
    }
  }
}

void Differ::push(Phase phase, Change change, std::optional<ResourceKey> device) {
  change.device = std::move(device);
  pending_.push_back({phase, std::move(change)});
}

void Differ::restart(std::string resource, std::string key, std::string reason, std::vector<std::string> details,
                     std::optional<ResourceKey> device) {
  Change c;
  c.action = Action::restart;
  c.resource = std::move(resource);
  c.key = std::move(key);
  c.reason = std::move(reason);
  c.details = std::move(details);
  push(Phase::restart, std::move(c), std::move(device));
}

// Backends no device uses: an interrupted apply, or a device_del made behind vmforge's back.
// The steps that delete them are those of their device's unplug steps that name them, in that
// order (a format node goes before its file node), under the device's resource name so they
// run before a re-plug of the same device.
Result<void> Differ::diff_leaks() {
  std::map<std::string, std::set<std::string>> by_owner;
  for (const Resource* r : current_.resources.all()) {
    if (is_backend(r->kind)) by_owner[std::string(backend_owner(r->id))].insert(r->id);
  }
  for (const auto& [owner, names] : by_owner) {
    std::optional<ResourceKey> device;
    for (const ResourceSet* set : {&want_, &applied_}) {
      for (const Resource* r : set->all()) {
        if (r->id == owner && !is_backend(r->kind)) device = r->ref();
      }
    }
    // Names with no manifest device behind them are QEMU's own ("pc.ram") or not vmforge's.
    if (!device) continue;
    const std::string device_key = device->str();
    const std::string shown = fmt::format("{}", fmt::join(names, "', '"));
    VMFORGE_TRY(auto steps, unplug(*device));
    Change c;
    c.action = Action::remove;
    c.resource = device_key;
    c.details.push_back(fmt::format("leaked backends '{}': no device uses them", shown));
    for (PlanStep& step : steps) {
      if (names.count(backend_target(step.call))) c.steps.push_back(std::move(step));
    }
    if (c.steps.size() != names.size()) {
      restart(device_key, fmt::format("'{}'", shown),
              fmt::format("the unplug steps of '{}' do not delete all of them", device_key), {}, device);
      continue;
    }
    push(Phase::leak, std::move(c), device);
  }
  return {};
}

Result<void> Differ::add_device(const Resource& want, Phase phase, Change change) {
  Vm pinned = desired_;
  const auto on_port = [](const std::string& port) {
    return fmt::format("plugged into the free root port '{}', at address 0", port);
  };
  if (!take_free(free_ports_, pinned, want, change, &pin_to_port, on_port)) {
    restart(want.key(), manifest_place(want),
            "every hotplug root port of the running VM is in use (nothing can be hot-plugged onto pcie.0); "
            "raise [machine] hotplug_slots",
            change.details, want.ref());
    return {};
  }
  const auto in_slot = [](std::uint8_t slot) {
    return fmt::format("plugged into the free slot {:#04x} of pci.0", slot);
  };
  if (!take_free(free_slots_, pinned, want, change, &pin_to_slot, in_slot)) {
    restart(want.key(), manifest_place(want), "every slot of pci.0 is in use: nothing more can be hot-plugged",
            change.details, want.ref());
    return {};
  }
  VMFORGE_TRY(auto steps, plug_steps(pinned, want.ref()));
  for (PlanStep& s : steps) change.steps.push_back(std::move(s));
  change.host_needs = host_needs(pinned, want.ref());
  for (const HostNeed& need : change.host_needs) change.notes.push_back(host_need_note(need));
  push(phase, std::move(change), want.ref());
  return {};
}

Result<void> Differ::update_device(const Resource& want, const Resource& have, const std::vector<std::string>& live) {
  Change c;
  c.action = Action::update;
  c.resource = want.key();
  for (const std::string& prop : live)
    c.details.push_back(quoted_change(prop, have.props.at(prop), want.props.at(prop)));
  switch (want.kind) {
    case ResourceKind::net: c.steps.push_back(set_link_step(want.id, want.props.at("link") == "up")); break;
    case ResourceKind::balloon: return update_balloon(want, have, std::move(c));
    case ResourceKind::throttle_group:
      c.steps.push_back(set_limits_step(want.id, limits_of(want), limits_of(have)));
      c.notes.emplace_back("every member of the group is limited anew at once; no device is unplugged");
      break;
    case ResourceKind::disk: VMFORGE_TRY_VOID(update_disk(want, have, live, c)); break;
    // No live properties (the kind table).
    case ResourceKind::serial:
    case ResourceKind::console:
    case ResourceKind::channel:
    case ResourceKind::vsock:
    case ResourceKind::fs:
    case ResourceKind::vfio:
    case ResourceKind::cpu:
    case ResourceKind::dimm:
    case ResourceKind::scsi_controller:
    case ResourceKind::virtio_serial:
    case ResourceKind::vhost_user:
    case ResourceKind::node:
    case ResourceKind::chardev:
    case ResourceKind::netdev:
    case ResourceKind::object:
      return unexpected(Error(fmt::format("'{}' has no property QEMU changes live", want.key())));
  }
  push(Phase::update, std::move(c), want.ref());
  return {};
}

const Disk* Differ::desired_disk(std::string_view id) const {
  auto disk =
      std::find_if(desired_.disks.begin(), desired_.disks.end(), [&](const Disk& d) { return d.id.str() == id; });
  return disk == desired_.disks.end() ? nullptr : &*disk;
}

// What QEMU has for a disk's device: its group, with the limits of that group's object where
// it has one (a [[throttle_group]]), else those the disk shows.
DiskThrottle Differ::observed_throttle(const Resource& disk) const {
  DiskThrottle throttle = throttle_of(disk);
  if (!throttle.group) return throttle;
  const Resource* group = current_.resources.find(ResourceKey{ResourceKind::throttle_group, *throttle.group}.str());
  if (group) throttle.limits = limits_of(*group);
  return throttle;
}

// A disk's limits (one block_set_io_throttle, undone by setting what QEMU had again), its
// size, its medium: each changes live, in that order.
Result<void> Differ::update_disk(const Resource& want, const Resource& have, const std::vector<std::string>& live,
                                 Change& c) {
  auto changed = [&](auto&& pred) { return std::any_of(live.begin(), live.end(), pred); };
  const Disk* disk = desired_disk(want.id);
  if (!disk) return unexpected(Error(fmt::format("no manifest describes '{}'", want.key())));
  if (changed(is_limit_prop)) {
    const DiskThrottle throttle = throttle_of(desired_, *disk);
    c.steps.push_back(throttle_step(*disk, throttle, observed_throttle(have)));
    c.notes.emplace_back(throttle.group
                             ? "the device's backend joins the group and the group takes these limits; no device is "
                               "unplugged"
                             : "every limit 0 takes the device's backend out of its group; no device is unplugged");
  }
  if (changed([](const std::string& prop) { return prop == "size"; })) VMFORGE_TRY_VOID(resize_disk(want, have, c));
  if (changed([](const std::string& prop) { return prop == "file" || prop == "format"; })) {
    VMFORGE_TRY(auto steps, change_media_steps(*owner_vm(want.key()), desired_, want.id));
    for (PlanStep& step : steps) c.steps.push_back(std::move(step));
    c.notes.emplace_back("the tray is opened with force (a guest lock is overridden) and closed again");
  }
  return {};
}

Result<void> Differ::resize_disk(const Resource& want, const Resource& have, Change& c) {
  VMFORGE_TRY(const ByteSize size, ByteSize::parse(want.props.at("size")));
  VMFORGE_TRY(const ByteSize image, ByteSize::parse(have.props.at("size")));
  if (size < image) {
    return unexpected(Error(
        fmt::format("disk '{}': 'size' {} is smaller than its image, {}: vmforge never shrinks an image (whatever lies "
                    "past the new end would be lost). Set 'size' to at least {}, or shrink the image yourself with the "
                    "VM stopped",
                    want.id, size.to_string(), image.to_string(), image.to_string())));
  }
  for (std::string& detail : c.details) {
    if (detail.starts_with("size: ")) detail = fmt::format("size: {} -> {}", image.to_string(), size.to_string());
  }
  c.steps.push_back(resize_step(*desired_disk(want.id), size.bytes()));
  return {};
}

Result<void> Differ::update_balloon(const Resource& want, const Resource& have, Change c) {
  VMFORGE_TRY(const ByteSize target, ByteSize::parse(want.props.at("target")));
  VMFORGE_TRY(const ByteSize previous, ByteSize::parse(have.props.at("target")));
  c.steps.push_back(balloon_step(want.id, target.bytes(), previous.bytes()));
  c.notes.emplace_back("the guest fills or empties its balloon at its own pace (about 1 s; never without a "
                       "balloon driver): plan compares with the target last asked for, as QEMU shows no target");
  push(Phase::balloon, std::move(c), want.ref());
  return {};
}

// QEMU keeps the balloon's size in pages, not the target: when DIMMs come or go, the memory
// the guest keeps moves with them unless the target is sent again after them.
Result<void> Differ::resend_balloon_target() {
  const bool dimms_change = std::any_of(pending_.begin(), pending_.end(), [](const Pending& p) {
    return p.change.device && p.change.device->kind == ResourceKind::dimm && p.phase != Phase::restart;
  });
  if (!dimms_change) return {};
  for (const Balloon& balloon : desired_.balloons) {
    const ResourceKey device{ResourceKind::balloon, balloon.id.str()};
    const std::string key = device.str();
    const Resource* have = current_.resources.find(key);
    const bool pending =
        std::any_of(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.change.device == device; });
    if (!balloon.target || !have || pending || !have->props.count("target")) continue;
    Change c{Action::update,
             key,
             {fmt::format("target: '{}' (sent again after the DIMM change)", balloon.target->to_string())},
             {},
             {},
             {},
             {}};
    VMFORGE_TRY_VOID(update_balloon(*want_.find(key), *have, std::move(c)));
  }
  return {};
}

Result<void> Differ::diff_device(const std::string& key, const Resource* want, const Resource* have) {
  const bool live_ok = current_.resources.facts().hotplug;
  const ResourceKey device = (want ? want : have)->ref();
  if (device.kind == ResourceKind::throttle_group && !(want && have)) {
    diff_group(key, want, have);
    return {};
  }
  if (want && !have) {
    if (!live_ok) {
      restart(key, manifest_place(*want), "this machine type cannot hot-plug anything", {}, device);
    } else if (!want->hotplugged) {
      std::string reason = "it has hotplug = false, so it belongs in the frozen argv";
      // A controller vmforge synthesises has no table to add the key to.
      if (!want->id.starts_with(DeviceId::kReservedPrefix)) {
        reason +=
            fmt::format("; add `hotplug = true` to [[{}]] '{}' to plug it live", facts(want->kind).table, want->id);
      }
      restart(key, manifest_place(*want), std::move(reason), {}, device);
    } else {
      return add_device(*want, Phase::add, Change{Action::add, key, {}, {}, {}, {}, {}});
    }
    return {};
  }
  if (have && !want) {
    if (have->id.starts_with(DeviceId::kReservedPrefix)) {
      // A controller vmforge synthesised for devices that are gone: harmless, left until restart.
      return {};
    }
    if (!have->hotplugged || !live_ok) {
      restart(key, manifest_place(*have),
              "it is in the running QEMU's command line (not hot-plugged): only a restart removes it", {}, device);
    } else if (!owner_vm(key)) {
      restart(key, key,
              "no manifest vmforge knows created it, so vmforge leaves it alone; delete it over QMP or restart", {},
              device);
    } else {
      Change c{Action::remove, key, {}, {}, {}, {std::string(remove_note(have->kind))}, {}};
      VMFORGE_TRY(c.steps, unplug(device));
      const bool frees_nothing_needed = (free_ports_ || free_slots_) && needs_port(*have);
      push(frees_nothing_needed ? Phase::remove : Phase::remove_early, std::move(c), device);
    }
    return {};
  }
  std::vector<std::string> live;
  std::vector<std::string> other;
  std::vector<std::string> details;
  for (const auto& [prop, value] : want->props) {
    auto it = have->props.find(prop);
    if (it == have->props.end() || it->second == value) continue;
    if (live_property(*want, prop)) {
      live.push_back(prop);
    } else {
      other.push_back(prop);
      details.push_back(quoted_change(prop, it->second, value));
    }
  }
  // Settings QEMU does not show are compared with the manifest the VM was made from, when one
  // describes this device (one plugged behind vmforge's back, or by an apply cut short, has none).
  const Resource* made = applied_.find(key);
  const auto* had = made ? &made->settings : have->settings.empty() ? nullptr : &have->settings;
  if (had) {
    std::set<std::string> names;
    for (const auto* settings : {had, &want->settings}) {
      for (const auto& [name, value] : *settings) names.insert(name);
    }
    auto value_in = [](const std::map<std::string, std::string>& settings, const std::string& name) {
      auto it = settings.find(name);
      return it == settings.end() ? std::string("unset") : it->second;
    };
    for (const std::string& name : names) {
      const std::string before = value_in(*had, name);
      const std::string after = value_in(want->settings, name);
      if (before == after) continue;
      other.push_back(name);
      details.push_back(quoted_change(name, before, after));
    }
  }
  if (other.empty()) return live.empty() ? Result<void>() : update_device(*want, *have, live);
  for (const std::string& prop : live)
    details.push_back(quoted_change(prop, have->props.at(prop), want->props.at(prop)));
  if (!(want->hotplugged && have->hotplugged && live_ok)) {
    restart(key, fmt::format("{} '{}'", manifest_place(*want), other.front()),
            "QEMU cannot change this property of a live device, and the device is in the frozen argv", details, device);
    return {};
  }
  Change c{Action::replace, key, details, {}, {}, {std::string(remove_note(have->kind))}, {}};
  VMFORGE_TRY(c.steps, unplug(device));
  return add_device(*want, Phase::replace, std::move(c));
}

// A [[throttle_group]] is an object, not a device: made and deleted live on any machine,
// wherever it was made (argv or object-add).
void Differ::diff_group(const std::string& key, const Resource* want, const Resource* have) {
  const ResourceKey device = (want ? want : have)->ref();
  if (want) {
    Change c{Action::add, key, {}, {}, {}, {}, {}};
    c.steps.push_back(add_group_step(want->id, limits_of(*want)));
    push(Phase::update, std::move(c), device);
  } else if (!owner_vm(key)) {
    restart(key, key, "no manifest vmforge knows created it, so vmforge leaves it alone; delete it over QMP or restart",
            {}, device);
  } else {
    Change c{Action::remove, key, {}, {}, {}, {"QEMU deletes a group only once no disk is in it"}, {}};
    c.steps.push_back(delete_group_step(have->id, limits_of(*have)));
    push(Phase::remove, std::move(c), device);
  }
}

Result<void> Differ::diff_cpus() {
  const MachineFacts& facts = current_.resources.facts();
  std::vector<std::uint32_t> present;
  std::vector<std::uint32_t> hot;
  for (const Resource* r : current_.resources.all()) {
    if (r->kind != ResourceKind::cpu) continue;
    std::uint32_t slot = 0;
    const auto [end, ec] = std::from_chars(r->id.data(), r->id.data() + r->id.size(), slot);
    if (ec != std::errc() || end != r->id.data() + r->id.size()) {
      return unexpected(Error(fmt::format("the VM has a CPU '{}' that is not a slot number", r->id)));
    }
    present.push_back(slot);
    if (r->hotplugged) hot.push_back(slot);
  }
  const std::uint32_t want = desired_.cpu.count;
  const std::string count_change = fmt::format("count: {} -> {}", present.size(), want);
  if (present.size() < want) {
    if (!facts.hotplug) {
      restart("cpu", "[cpu] 'count'", "this machine type cannot hot-plug CPUs", {count_change});
      return {};
    }
    std::vector<std::uint32_t> slots;
    const std::uint32_t max = std::min(desired_.cpu.max, facts.max_cpus);
    for (std::uint32_t s = 0; s < max && present.size() + slots.size() < want; ++s) {
      if (std::find(present.begin(), present.end(), s) == present.end()) slots.push_back(s);
    }
    // The builders number hot-pluggable slots from the running QEMU's boot CPU count.
    Vm running_cpus = desired_;
    running_cpus.cpu.count = facts.boot_cpus;
    for (std::uint32_t s : slots) {
      const ResourceKey cpu{ResourceKind::cpu, fmt::format("{}", s)};
      Change c{Action::add, cpu.str(), {count_change}, {}, {}, {}, {}};
      c.notes.emplace_back("the guest sees the CPU present but offline until it onlines it");
      VMFORGE_TRY(c.steps, plug_steps(running_cpus, cpu));
      push(Phase::add, std::move(c), cpu);
    }
  } else if (present.size() > want) {
    restart("cpu", "[cpu] 'count'",
            hot.empty() ? "only CPUs added live could be unplugged; the boot CPUs are in -smp"
                        : "QEMU 7.2 (TCG) corrupts its heap when a CPU is unplugged (it aborts with 'corrupted "
                          "double-linked list' soon after), so vmforge never unplugs CPUs live",
            {count_change});
  }
  return {};
}

Result<Diff> Differ::run() {
  if (current_.applied) {
    for (RestartKey& k : restart_keys(*current_.applied, desired_)) {
      restart(k.key, k.key, std::move(k.reason), {std::move(k.detail)});
    }
  } else if (current_.resources.facts().max_cpus != 0 && current_.resources.facts().max_cpus != desired_.cpu.max) {
    restart("cpu", "[cpu] 'max'", "QEMU creates its CPU slots (maxcpus) at start-up",
            {fmt::format("max: {} -> {}", current_.resources.facts().max_cpus, desired_.cpu.max)});
  }
  std::set<std::string> keys;
  for (const Resource* r : want_.all()) {
    if (r->kind != ResourceKind::cpu) keys.insert(r->key());
  }
  for (const Resource* r : current_.resources.all()) {
    if (!is_backend(r->kind) && r->kind != ResourceKind::cpu) keys.insert(r->key());
  }
  VMFORGE_TRY_VOID(diff_leaks());
  for (const std::string& key : keys) {
    VMFORGE_TRY_VOID(diff_device(key, want_.find(key), current_.resources.find(key)));
  }
  VMFORGE_TRY_VOID(diff_cpus());
  VMFORGE_TRY_VOID(resend_balloon_target());
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    return std::pair(a.phase, rank(a)) < std::pair(b.phase, rank(b));
  });
  Diff out;
  std::optional<int> last_group;
  for (Pending& p : pending_) {
    if (p.change.steps.empty()) continue;
    p.change.waits_for_earlier = last_group && *last_group != group(Phase::leak) && *last_group != group(p.phase);
    last_group = group(p.phase);
  }
  for (Pending& p : pending_) out.changes.push_back(std::move(p.change));
  return out;
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::add: return "add";
    case Action::remove: return "remove";
    case Action::update: return "update";
    case Action::replace: return "replace";
    case Action::restart: return "restart";
  }
  return "?";
}

std::string_view action_symbol(Action action) {
  switch (action) {
    case Action::add: return "+";
    case Action::remove: return "-";
    case Action::update: return "~";
    case Action::replace: return "-/+";
    case Action::restart: return "!";
  }
  return "?";
}

std::size_t Diff::count(Action action) const {
  return static_cast<std::size_t>(
      std::count_if(changes.begin(), changes.end(), [&](const Change& c) { return c.action == action; }));
}

std::string Diff::summary() const {
  return fmt::format("Plan: {} to add, {} to change, {} to replace, {} to remove, {} restart required.",
                     count(Action::add), count(Action::update), count(Action::replace), count(Action::remove),
                     count(Action::restart));
}

Result<Diff> diff(const Vm& desired, const Current& current) { return Differ(desired, current).run(); }

}  // namespace vmforge
