// Typed QMP operations: passing file descriptors to QEMU (getfd/closefd by name, fd sets with
// add-fd/remove-fd). The fd itself goes with the command: run(client, getfd("x"), t, {fd}).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// Names the fd sent with this command `fdname` (for netdev fds=, vhostfd=, dump "fd:NAME").
Command getfd(std::string_view fdname);
Command closefd(std::string_view fdname);

/// Adds the fd sent with this command to fd set `fdset_id` (a new set when unset); QEMU
/// opens it as "/dev/fdset/<id>".
Command add_fd(std::optional<std::int64_t> fdset_id, std::string_view opaque = {});
struct AddFdInfo {
  std::int64_t fdset_id = 0;
  std::int64_t fd = 0;  // QEMU's number for it
};
Result<AddFdInfo> parse_add_fd(const JsonValue& reply);
/// Removes fd `fd` from the set, or the whole set when unset.
Command remove_fd(std::int64_t fdset_id, std::optional<std::int64_t> fd = std::nullopt);

}  // namespace vmforge::qmp
