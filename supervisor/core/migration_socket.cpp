// Migration URI sockets: a unix path through launch::listen_unix, tcp through getaddrinfo
// (numeric port; the host as QEMU would resolve it).
#include "supervisor/core/migration_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/qmp/blocking_client.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::string_view kUnix = "unix:";
constexpr std::string_view kTcp = "tcp:";

struct TcpAddress {
  std::string host;
  std::string port;
};

// "tcp:HOST:PORT" ("[::1]" for an IPv6 address); valid_migration_uri() checked the form.
TcpAddress tcp_address(std::string_view uri) {
  std::string_view rest = uri.substr(kTcp.size());
  const auto colon = rest.rfind(':');
  std::string_view host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {std::string(host), std::string(rest.substr(colon + 1))};
}

Error uri_error(std::string_view what, std::string_view uri, int err = errno) {
  return Error(fmt::format("{} '{}': {}", what, uri, strerrordesc_np(err)), err);
}

struct AddrInfoFree {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

Result<AddrInfoPtr> resolve(std::string_view uri, bool passive) {
  const TcpAddress a = tcp_address(uri);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(a.host.c_str(), a.port.c_str(), &hints, &found); rc != 0) {
    return unexpected(Error(fmt::format("Cannot resolve '{}': {}", uri, gai_strerror(rc)), EHOSTUNREACH));
  }
  return AddrInfoPtr(found);
}

Result<void> set_nonblocking(int fd, std::string_view uri) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return unexpected(uri_error("Failed to set up", uri));
  return {};
}

}  // namespace

Result<UniqueFd> listen_migration_uri(std::string_view uri) {
  if (uri.starts_with(kUnix)) {
    VMFORGE_TRY(UniqueFd fd, launch::listen_unix(std::string(uri.substr(kUnix.size()))));
    VMFORGE_TRY_VOID(set_nonblocking(fd.get(), uri));
    return fd;
  }
  VMFORGE_TRY(AddrInfoPtr info, resolve(uri, true));
  UniqueFd fd(socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return unexpected(uri_error("Failed to create a socket for", uri));
  const int on = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
    return unexpected(uri_error("Failed to set SO_REUSEADDR for", uri));
  }
  if (bind(fd.get(), info->ai_addr, info->ai_addrlen) != 0) return unexpected(uri_error("Failed to bind", uri));
  if (listen(fd.get(), SOMAXCONN) != 0) return unexpected(uri_error("Failed to listen on", uri));
  return fd;
}

void release_migration_uri(std::string_view uri) {
  if (uri.starts_with(kUnix)) (void)unlink(std::string(uri.substr(kUnix.size())).c_str());
}

Result<UniqueFd> connect_migration_uri(std::string_view uri) {
  if (uri.starts_with(kUnix)) return qmp::connect_unix(uri.substr(kUnix.size()), true);
  VMFORGE_TRY(AddrInfoPtr info, resolve(uri, false));
  UniqueFd fd(socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return unexpected(uri_error("Failed to create a socket for", uri));
  if (connect(fd.get(), info->ai_addr, info->ai_addrlen) != 0 && errno != EINPROGRESS) {
    return unexpected(uri_error("Failed to connect to", uri));
  }
  return fd;
}

}  // namespace vmforge::supervisor
