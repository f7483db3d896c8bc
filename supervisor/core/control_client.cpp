// ControlClient: connect, line I/O with timeouts, reply decoding.
#include "supervisor/core/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "supervisor/qmp/blocking_client.hpp"

namespace vmforge::supervisor {

Result<ControlClient> ControlClient::connect(const std::string& path, std::string_view vm_name) {
  auto fd = qmp::connect_unix(path);
  if (!fd) {
    int err = fd.error().errno_value;
    if (!vm_name.empty() && (err == ENOENT || err == ECONNREFUSED)) {
      return unexpected(Error(fmt::format("VM '{}' is not running (no supervisor at '{}').", vm_name, path), err));
    }
    return unexpected(std::move(fd).error());
  }
  return ControlClient(std::move(*fd));
}

Result<ControlClient> ControlClient::connect_nowait(const std::string& path) {
  VMFORGE_TRY(UniqueFd fd, qmp::connect_unix(path, true));
  return ControlClient(std::move(fd));
}

Result<void> ControlClient::send(std::string_view line) {
  std::string data = std::string(line) + "\n";
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(errno_error("Failed to send request"));
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> ControlClient::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    // Past the deadline, what has already arrived is still read (`list` reads its replies
    // one after the other against one deadline).
    int wait_ms = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return unexpected(errno_error("Failed to wait for the supervisor"));
    if (r == 0 && wait_ms == 0) return unexpected(Error("Timed out waiting for the supervisor.", ETIMEDOUT));
    if (r == 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(errno_error("Failed to read from the supervisor"));
    if (n == 0) return unexpected(Error("Connection closed.", ECONNRESET));
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

Result<JsonValue> ControlClient::call(std::string_view request_line, std::chrono::milliseconds timeout) {
  if (auto sent = send(request_line); !sent) {
    // A supervisor that refuses us says why before closing: prefer its words to EPIPE.
    auto refusal = read_line(std::chrono::milliseconds(500));
    if (!refusal) return unexpected(std::move(sent).error());
    return reply_value(*refusal);
  }
  VMFORGE_TRY(std::string line, read_line(timeout));
  return reply_value(line);
}

Result<JsonValue> reply_value(std::string_view line) {
  auto parsed = parse_json(line);
  if (!parsed || !parsed->is_object()) {
    return unexpected(Error("The supervisor sent a malformed reply.", EBADMSG));
  }
  // Move the value out: a status or plan reply can be large, and the parsed tree dies here.
  for (JsonMember& member : *parsed->as_object()) {
    if (member.key == "return") return std::move(member.value);
  }
  if (auto desc = parsed->find_path({"error", "desc"}); desc && desc->is_string()) {
    return unexpected(Error(std::string(*desc->as_string()), EREMOTEIO));
  }
  return unexpected(Error("The supervisor sent a malformed reply.", EBADMSG));
}

}  // namespace vmforge::supervisor
