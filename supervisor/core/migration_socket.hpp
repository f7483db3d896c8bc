// Sockets on a migration URI ("tcp:HOST:PORT", "unix:/PATH") for the supervisors' handshake
// (migration_handshake.hpp), which comes before QEMU listens on or connects to the same URI.
#pragma once

#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::supervisor {

/// A listening socket on `uri`, non-blocking and close-on-exec: unix, a socket file (a stale
/// one replaced, mode 0600); tcp, with SO_REUSEADDR, so that QEMU can bind the same port once
/// this socket is closed.
Result<UniqueFd> listen_migration_uri(std::string_view uri);

/// Removes the socket file of a unix URI whose listener is closed, so that QEMU can listen
/// there; nothing for tcp.
void release_migration_uri(std::string_view uri);

/// A non-blocking connect to `uri`: the socket, connected or connecting (EPOLLOUT, then
/// SO_ERROR says how it ended). An Error carries errno (ECONNREFUSED, ENOENT: nobody listens).
Result<UniqueFd> connect_migration_uri(std::string_view uri);

}  // namespace vmforge::supervisor
