// Typed QMP operations: passing file descriptors to QEMU (getfd/closefd by name, fd sets with
// add-fd/remove-fd). The fd itself goes with the command: run(client, getfd("x"), t, {fd}).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

/// Names the fd sent with this command `fdname` (for netdev fds=, vhostfd=, dump "fd:NAME").
QmpCall getfd(std::string_view fdname);
QmpCall closefd(std::string_view fdname);

/// Adds the fd sent with this command to fd set `fdset_id` (a new set when unset); QEMU
/// opens it as "/dev/fdset/<id>".
QmpCall add_fd(std::optional<std::int64_t> fdset_id, std::string_view opaque = {});
struct AddFdInfo {
  std::int64_t fdset_id = 0;
  std::int64_t fd = 0;  // QEMU's number for it
};
Result<AddFdInfo> parse_add_fd(const JsonValue& reply);
/// Removes fd `fd` from the set, or the whole set when unset.
QmpCall remove_fd(std::int64_t fdset_id, std::optional<std::int64_t> fd = std::nullopt);

}  // namespace vmforge::qmp
