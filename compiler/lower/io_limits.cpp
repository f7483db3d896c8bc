// I/O limits as throttle groups and throttle nodes.
#include "compiler/lower/io_limits.hpp"

namespace vmforge {
namespace {

qmp::ThrottleLimits limits_of(const IoLimits& limits, bool all) {
  qmp::ThrottleLimits out;
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    if (all || limits.values[i]) out.emplace_back(kIoLimitNames[i].qemu, limits.effective(i));
  }
  return out;
}

// The throttle node; the group of its own has a name of its own, as a leaked node and a
// leaked object are told apart by name.
std::string node_name(const Disk& disk) { return disk.id.derived("limits"); }
std::string own_group_name(const Disk& disk) { return disk.id.derived("group"); }

}  // namespace

qmp::ThrottleLimits set_limits(const IoLimits& limits) { return limits_of(limits, false); }
qmp::ThrottleLimits all_limits(const IoLimits& limits) { return limits_of(limits, true); }

std::optional<qmp::ThrottleGroupAdd> own_throttle_group(const Disk& disk) {
  if (disk.throttle_group || !disk.limits.any()) return std::nullopt;
  return qmp::ThrottleGroupAdd{own_group_name(disk), set_limits(disk.limits)};
}

std::optional<qmp::BlockdevThrottle> throttle_node(const Disk& disk) {
  const std::optional<std::string> group = disk.throttle_group ? std::optional(disk.throttle_group->str())
                                           : disk.limits.any() ? std::optional(own_group_name(disk))
                                                               : std::nullopt;
  if (!group) return std::nullopt;
  return qmp::BlockdevThrottle{node_name(disk), *group, active_node(disk), disk.readonly};
}

std::string active_node(const Disk& disk) {
  return disk.layers.empty() ? disk.id.derived("fmt") : disk.layers.back().node;
}

std::string device_node(const Disk& disk) {
  if (auto node = throttle_node(disk)) return node->node_name;
  return active_node(disk);
}

PlanStep set_limits_step(std::string resource, std::string_view id, const IoLimits& limits, const IoLimits& previous) {
  return {std::move(resource), qmp::throttle_group_set_limits(id, all_limits(limits)),
          qmp::throttle_group_set_limits(id, all_limits(previous))};
}

}  // namespace vmforge
