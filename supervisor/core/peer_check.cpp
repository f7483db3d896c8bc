#include "supervisor/core/peer_check.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"

namespace vmforge::supervisor {

Result<Peer> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    return unexpected(errno_error("Failed to read the peer's credentials"));
  }
  return Peer{cred.uid, cred.pid};
}

std::optional<std::string> refusal(const Peer& peer) {
  if (peer.uid == 0 || peer.uid == geteuid()) return std::nullopt;
  std::string who = geteuid() == 0 ? "root" : fmt::format("uid {} and root", geteuid());
  return fmt::format("Permission denied: only {} may control this VM.", who);
}

}  // namespace vmforge::supervisor
