// FakeQmpPeer: blocking socket I/O with poll() timeouts, SCM_RIGHTS reception, JSON via JsonValue.
#include "tests/supervisor/qmp/fake_qmp_peer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"

namespace vmforge::test {
namespace {

// The end of the first JSON object in `input` (past its closing brace), or npos while it is
// incomplete: as in QEMU's JSON stream, no newline is needed between commands.
std::size_t object_end(std::string_view input) {
  for (std::size_t brace = input.find('}'); brace != std::string_view::npos; brace = input.find('}', brace + 1)) {
    if (parse_json(input.substr(0, brace + 1))) return brace + 1;
  }
  return std::string_view::npos;
}

}  // namespace

bool PeerIo::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool PeerIo::send_split(std::string_view bytes, std::size_t chunk) {
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    if (!send(bytes.substr(i, chunk))) return false;
  }
  return true;
}

bool PeerIo::greet(std::string_view capabilities) {
  return send(fmt::format(
      R"({{"QMP": {{"version": {{"qemu": {{"micro": 0, "minor": 2, "major": 7}}, "package": "Debian 1:7.2+dfsg-7"}}, "capabilities": {}}}}})"
      "\r\n",
      capabilities));
}

std::optional<ReceivedCommand> PeerIo::handshake(std::string_view capabilities) {
  if (!greet(capabilities)) return std::nullopt;
  auto caps = read_command();
  if (!caps || caps->execute != "qmp_capabilities") return std::nullopt;
  if (!reply(*caps)) return std::nullopt;
  return caps;
}

std::optional<ReceivedCommand> PeerIo::read_command(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t end = object_end(input_);
    if (end != std::string_view::npos) {
      std::string line = input_.substr(0, end);
      input_.erase(0, end);
      auto parsed = parse_json(line);
      if (!parsed) return std::nullopt;
      ReceivedCommand c;
      if (auto name = parsed->get_string("execute")) c.execute = std::string(*name);
      if (const JsonValue* args = parsed->find("arguments")) c.arguments = *args;
      c.text = line;
      if (const JsonValue* id = parsed->find("id")) {
        c.id = *id;
        c.has_id = true;
      }
      c.fds = std::move(pending_fds_);
      pending_fds_.clear();
      return c;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    struct pollfd p {
      fd_, POLLIN, 0
    };
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
    struct iovec iov {
      buf, sizeof buf
    };
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return std::nullopt;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        pending_fds_.emplace_back(fd);
      }
    }
    input_.append(buf, static_cast<std::size_t>(n));
  }
}

namespace {

// QEMU echoes a command's id, and adds none to a command sent without.
std::string id_member(const ReceivedCommand& command) {
  return command.has_id ? fmt::format(R"(, "id": {})", command.id.to_json()) : std::string();
}

}  // namespace

bool PeerIo::reply(const ReceivedCommand& command, std::string_view value_json) {
  return send(fmt::format(R"({{"return": {}{}}})"
                          "\r\n",
                          value_json, id_member(command)));
}

bool PeerIo::reply_error(const ReceivedCommand& command, std::string_view error_class, std::string_view desc) {
  return send(fmt::format(R"({{"error": {{"class": {}, "desc": {}}}{}}})"
                          "\r\n",
                          json_quote(error_class), json_quote(desc), id_member(command)));
}

bool PeerIo::event(std::string_view name, std::string_view data_json) {
  std::string data = data_json.empty() ? std::string() : fmt::format(R"(, "data": {})", data_json);
  return send(fmt::format(R"({{"timestamp": {{"seconds": 1700000000, "microseconds": 500000}}, "event": {}{}}})"
                          "\r\n",
                          json_quote(name), data));
}

bool PeerIo::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    struct pollfd p {
      fd_, POLLIN, 0
    };
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return true;
  }
}

void PeerIo::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

FakeQmpPeer::FakeQmpPeer() {
  int pair[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
    client_.reset(pair[0]);
    peer_.reset(pair[1]);
  }
}

FakeQmpPeer::~FakeQmpPeer() { join(); }

void FakeQmpPeer::run(std::function<void(PeerIo&)> script) {
  thread_ = std::thread([this, script = std::move(script)] {
    PeerIo io(peer_.get());
    script(io);
    peer_.reset();
  });
}

void FakeQmpPeer::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace vmforge::test
