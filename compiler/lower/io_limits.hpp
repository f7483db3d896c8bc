// I/O limits in QEMU's terms: the throttle group a disk's BlockBackend joins (its device's
// block_set_io_throttle), the throttle-group objects of [[throttle_group]], and their live
// changes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/qmp/ops_throttle.hpp"

namespace vmforge {

/// The limits set, by throttle-group name (the argv and object-add give only those).
qmp::ThrottleLimits set_limits(const IoLimits& limits);

/// How a disk's BlockBackend is throttled, as query-block shows it: the group it is in and
/// that group's limits; no group: not throttled.
struct DiskThrottle {
  std::optional<std::string> group;
  IoLimits limits;
  bool operator==(const DiskThrottle&) const = default;
};
/// The manifest's: the disk's [[throttle_group]] (unless it sets no limit), else its own limits
/// in a group of its own ("data.group", which QEMU makes and drops with the backend).
DiskThrottle throttle_of(const Vm& vm, const Disk& disk);

/// The format node on top of a disk's chain, which its device reads: its last snapshot layer,
/// else its own ("data.fmt").
std::string active_node(const Disk& disk);

/// block_set_io_throttle of the disk's device to `want`, undone by setting `previous` again
/// (none after a device_add: the backend goes with the device). Named "disk:ID" in the plan.
PlanStep throttle_step(const Disk& disk, const DiskThrottle& want, const std::optional<DiskThrottle>& previous);

/// The throttle step of a new disk's device (at start-up, after a device_add), if the manifest
/// throttles it: the argv cannot throttle a device's BlockBackend. Undone by lifting the limits,
/// which is the first of a throttled hot disk's unplug steps: the undo of a removal, which
/// re-plugs the disk, gives it back its limits.
std::optional<PlanStep> initial_throttle_step(const Vm& vm, const Disk& disk);
/// The lift of a disk's limits before its device_del, if the manifest may throttle it.
std::optional<PlanStep> lift_throttle_step(const Disk& disk);

/// The qom-set of [[throttle_group]] `id`'s limits to `limits`, its undo setting `previous`
/// again.
PlanStep set_limits_step(std::string_view id, const IoLimits& limits, const IoLimits& previous);
/// object-add of a [[throttle_group]], undone by its object-del.
PlanStep add_group_step(std::string_view id, const IoLimits& limits);
/// object-del of a [[throttle_group]] that had `limits`, undone by adding it back.
PlanStep delete_group_step(std::string_view id, const IoLimits& limits);

}  // namespace vmforge
