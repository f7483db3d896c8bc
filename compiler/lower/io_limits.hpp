// I/O limits in QEMU's terms: which throttle group a disk's throttle node uses, the nodes and
// objects that carries, and the live change of a group's limits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/qmp/ops_throttle.hpp"

namespace vmforge {

/// The limits set, by QEMU name (the argv and object-add give only those).
qmp::ThrottleLimits set_limits(const IoLimits& limits);
/// Every limit with its value, unset ones as QEMU's defaults: a qom-set that lifts what is unset.
qmp::ThrottleLimits all_limits(const IoLimits& limits);

/// The group of its own a disk with limits of its own gets ("data.group").
std::optional<qmp::ThrottleGroupAdd> own_throttle_group(const Disk& disk);
/// The throttle node between a throttled disk's device and its format node ("data.limits"),
/// on its [[throttle_group]] or its own group.
std::optional<qmp::BlockdevThrottle> throttle_node(const Disk& disk);
/// The format node on top of a disk's chain: its last snapshot layer, else its own ("data.fmt").
std::string active_node(const Disk& disk);
/// The node a disk's device reads: its throttle node, else its active format node.
std::string device_node(const Disk& disk);

/// The qom-set of group `id`'s limits to `limits`, its undo setting `previous` again. Named
/// `resource` in the plan (the disk, for a disk's own group).
PlanStep set_limits_step(std::string resource, std::string_view id, const IoLimits& limits, const IoLimits& previous);

}  // namespace vmforge
