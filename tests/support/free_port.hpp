// free_tcp_port(): a TCP port on 127.0.0.1 nobody listens on (the kernel's pick, released
// again), for tests that listen on one.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "compiler/base/unique_fd.hpp"

namespace vmforge::test {

inline int free_tcp_port() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t size = sizeof addr;
  REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &size) == 0);
  return ntohs(addr.sin_port);
}

}  // namespace vmforge::test
