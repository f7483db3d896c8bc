// listen_unix: replace a stale socket file, bind with mode 0600 from the start, listen.
#include "supervisor/launch/listen_unix.hpp"

#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace vmforge::launch {
namespace {

Error socket_error(const std::string& what, const std::string& path, int err = errno) {
  return Error(fmt::format("{} '{}': {}", what, path, strerrordesc_np(err)), err);
}

UniqueFd new_socket() { return UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)); }

// Removes the socket file at `path` if nobody listens on it any more.
Result<void> remove_stale(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return unexpected(socket_error("Failed to inspect", path));
  }
  if (!S_ISSOCK(st.st_mode))
    return unexpected(Error(fmt::format("Cannot create the socket '{}': a file that is not a "
                                        "socket is in the way; remove it or choose another path",
                                        path),
                            EEXIST));
  UniqueFd probe = new_socket();
  if (!probe) return unexpected(socket_error("Failed to create a socket to probe", path));
  if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return unexpected(Error(fmt::format("Cannot create the socket '{}': another process is "
                                        "listening on it; stop it first",
                                        path),
                            EADDRINUSE));
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return unexpected(socket_error("Failed to remove the stale socket", path));
  return {};
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return unexpected(Error(fmt::format("Cannot create the socket '{}': a unix socket path must "
                                        "have 1 to {} bytes; use a shorter directory",
                                        path, sizeof addr.sun_path - 1),
                            ENAMETOOLONG));
  memcpy(addr.sun_path, path.data(), path.size());
  VMFORGE_TRY_VOID(remove_stale(path, addr));

  UniqueFd fd = new_socket();
  if (!fd) return unexpected(socket_error("Failed to create a socket for", path));
  // On Linux the socket file takes the socket inode's mode at bind(): set it first, so the
  // path is never reachable with looser permissions.
  if (fchmod(fd.get(), 0600) != 0) return unexpected(socket_error("Failed to set the mode of", path));
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return unexpected(socket_error("Failed to bind", path));
  if (listen(fd.get(), SOMAXCONN) != 0) return unexpected(socket_error("Failed to listen on", path));
  return fd;
}

}  // namespace vmforge::launch
