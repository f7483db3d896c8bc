// Typed QMP operations: I/O throttling on a device's BlockBackend, which joins a throttle
// group by name (a throttle-group object's id, or a group QEMU makes for it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

/// Limits by QEMU name ("iops-total" -> 10 for a throttle-group object, "iops" -> 10 for
/// block_set_io_throttle), in the order given.
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

/// block_set_io_throttle of the guest device at QOM path `qdev` (the one holding the
/// BlockBackend: a virtio proxy's "virtio-backend" child). With limits, its backend joins
/// `group` (made when no group has that name) and the group takes `limits` whole: a limit
/// left out is lifted. With every limit 0 (and no group) it leaves its group, unthrottled.
QmpCall block_set_io_throttle(std::string_view qdev, const ThrottleLimits& limits,
                              std::optional<std::string_view> group);

}  // namespace vmforge::qmp
