// NotifyListener: plays the service manager's side of sd_notify for tests: binds a datagram
// socket, points NOTIFY_SOCKET at it (inherited by children) and reads messages with a timeout.
#pragma once

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "compiler/base/unique_fd.hpp"

namespace vmforge::test {

class NotifyListener {
 public:
  explicit NotifyListener(const std::string& path) : path_(path) {
    fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    (void)!bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifyListener() {
    unsetenv("NOTIFY_SOCKET");
    unlink(path_.c_str());
  }

  /// The next message, or "" when none arrives within `timeout_ms`.
  std::string receive(int timeout_ms = 5000) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return "";
    char buf[4096];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  /// Reads messages until one contains `needle`; returns it, or "" on timeout.
  std::string wait_for(const std::string& needle, int timeout_ms) {
    for (;;) {
      std::string m = receive(timeout_ms);
      if (m.empty() || m.find(needle) != std::string::npos) return m;
    }
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

}  // namespace vmforge::test
