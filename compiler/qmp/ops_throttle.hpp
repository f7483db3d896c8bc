// Typed QMP operations: I/O throttling as QEMU 7.2 recommends it, a throttle-group object
// holding the limits and a throttle filter node that the group's members sit behind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

/// ThrottleLimits members by QEMU name ("iops-total" -> 10), in the order given.
using ThrottleLimits = std::vector<std::pair<std::string, std::uint64_t>>;

/// object-add of a throttle-group: the limits its members share.
struct ThrottleGroupAdd {
  std::string id;
  ThrottleLimits limits;
};
/// The argument object, which -object takes too.
std::string arguments(const ThrottleGroupAdd& group);
QmpCall object_add_throttle_group(const ThrottleGroupAdd& group);

/// qom-set of a throttle-group's `limits`: QEMU changes only the members given, so a limit
/// to be lifted must be given as QEMU's unset value.
QmpCall throttle_group_set_limits(std::string_view id, const ThrottleLimits& limits);
/// qom-get of a throttle-group's `limits` (every member, unset ones 0, burst lengths 1).
QmpCall throttle_group_get_limits(std::string_view id);

/// A throttle filter node over the node named `file`, limited by the group `group`.
struct BlockdevThrottle {
  std::string node_name;
  std::string group;
  std::string file;
  bool read_only = false;  // as the node below: a read-only disk's
};
/// The argument object, which -blockdev takes too.
std::string arguments(const BlockdevThrottle& node);
QmpCall blockdev_add(const BlockdevThrottle& node);

}  // namespace vmforge::qmp
