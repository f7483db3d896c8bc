// Diff: the desired manifest against what a VM has (an old manifest's resources, or those
// observed from QEMU), classified per resource into live steps, replace, or restart required.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diff/resources.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/model/host_needs.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge {

struct Vm;

/// `+` add, `-` remove, `~` change live, `-/+` replace (unplug then plug), `!` restart required.
enum class Action { add, remove, update, replace, restart };

std::string_view to_string(Action action);
/// "+", "-", "~", "-/+", "!".
std::string_view action_symbol(Action action);

struct Change {
  Action action = Action::add;
  /// "disk:data1".
  std::string resource;
  /// What differs, for people: "file: '/a.img' -> '/b.img'".
  std::vector<std::string> details;
  /// restart: the manifest key that needs it ("disk 'root' file", "cpu.max").
  std::string key;
  /// restart: why QEMU cannot do it live.
  std::string reason;
  /// How a QEMU trap is handled ("waits for DEVICE_DELETED ..."), shown under the change.
  std::vector<std::string> notes;
  /// The exact steps, in order (empty for restart).
  std::vector<PlanStep> steps;
  /// The device `resource` names; none for a manifest key ("cpu.max", "[machine]").
  std::optional<ResourceKey> device = std::nullopt;
  /// Its steps start only once every earlier change's steps completed: the first change of a
  /// group that may need what the group before frees, or that removes what the group before
  /// must have succeeded without (see Diff::changes).
  bool waits_for_earlier = false;
  /// What the device added needs from the host (the notes say it); the supervisor checks it
  /// before any step.
  std::vector<HostNeed> host_needs = {};
};

struct Diff {
  /// In execution order: leaked backends first; then the removals that may free what an
  /// addition needs (a pc slot, a DIMM slot, a SCSI unit); live updates, additions and the
  /// balloon target (relative to the RAM the DIMM changes leave); then, once all those
  /// completed, replaces and the removals of devices on root ports (additions use free ports),
  /// so that a failed addition removes nothing; restart-required changes last (no steps).
  /// A removal's steps are undone by plugging the device back from the applied manifest.
  std::vector<Change> changes;

  bool empty() const { return changes.empty(); }
  bool needs_restart() const { return count(Action::restart) > 0; }
  std::size_t count(Action action) const;
  /// "Plan: 2 to add, 1 to change, 1 to replace, 0 to remove, 1 restart required."
  std::string summary() const;
};

/// The old side of a diff: what the VM has, plus the manifest(s) that describe it.
struct Current {
  ResourceSet resources;
  /// The model the running VM was last made from (the last applied manifest, or --from), used
  /// to build the steps that remove what the desired manifest no longer has. May be null.
  const Vm* applied = nullptr;
};

/// Classifies every difference between `desired` and `current`. Pure. Steps come from
/// plug_steps/unplug_steps (the boot plan's builders) and live_steps. An Error when the
/// manifest asks for what vmforge refuses to do to a running VM (a disk smaller than its
/// image), or when a builder fails for a resource the diff chose to change live (a programming
/// error or a manifest the validator should have refused).
Result<Diff> diff(const Vm& desired, const Current& current);

}  // namespace vmforge
