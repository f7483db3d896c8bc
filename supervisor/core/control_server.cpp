// ControlServer and ControlPeer: accepting, peer credentials, line I/O, dispatch by name.
#include "supervisor/core/control_server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/base/errno_error.hpp"
#include "supervisor/core/free_memory.hpp"
#include "supervisor/core/peer_check.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {

void ControlPeer::send(std::string_view line) {
  if (closed()) return;
  output_.append(line);
  output_.push_back('\n');
  if (output_.size() > ControlServer::kMaxQueuedOutput) {
    sd::log_warning("Control client (uid {}) does not read its replies; disconnecting it.", uid_);
    close();
    return;
  }
  flush();
}

void ControlPeer::send_return(const std::optional<JsonValue>& id, std::string_view return_json) {
  answered();
  send(control_return(id, return_json));
}

void ControlPeer::send_error(const std::optional<JsonValue>& id, std::string_view error_class, std::string_view desc) {
  answered();
  send(control_error(id, error_class, desc));
}

void ControlPeer::answered() {
  if (unanswered_ > 0) --unanswered_;
}

Result<void> ControlPeer::start(sd_event* event) {
  VMFORGE_TRY(io_, sd::add_io<&ControlPeer::on_io>(event, fd_.get(), EPOLLIN, this, "control-client"));
  return {};
}

Result<void> ControlPeer::on_io(int, std::uint32_t revents) {
  std::shared_ptr<ControlPeer> keep = shared_from_this();  // a handler may drop the last other ref
  if (revents & EPOLLOUT) flush();
  if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !closed()) handle_input();
  // Hung up both ways: nobody is left to answer (and epoll would report it again and again).
  if (revents & (EPOLLHUP | EPOLLERR)) close();
  return {};
}

void ControlPeer::handle_input() {
  for (;;) {
    std::span<char> room = input_.prepare(64 * 1024);
    ssize_t n = ::read(fd_.get(), room.data(), room.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      // EOF: the client may still be waiting for answers (`stop` waits for our exit); keep
      // the connection for output, drop it once nothing more can be asked or said.
      input_done_ = true;
      break;
    }
    input_.commit(static_cast<size_t>(n));
    if (static_cast<size_t>(n) < room.size()) break;
  }
  for (;;) {
    auto line = input_.next_line();
    if (!line) {
      send_error(std::nullopt, kInvalidRequest,
                 fmt::format("Request longer than {} bytes; closing the connection.", kMaxRequest));
      close();
      return;
    }
    if (!*line) break;
    server_->dispatch(shared_from_this(), **line);
    if (closed()) return;
  }
  if (input_done_) {
    // A client that shut down its writing side (`nc -N`) still gets the replies in flight.
    if (finished()) {
      close();
    } else {
      (void)io_.set_io_events(output_.empty() ? 0u : std::uint32_t{EPOLLOUT});
    }
  }
}

void ControlPeer::flush() {
  while (!output_.empty()) {
    ssize_t n = ::send(fd_.get(), output_.data(), output_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      close();
      return;
    }
    output_.erase(0, static_cast<size_t>(n));
  }
  std::uint32_t events = (input_done_ ? 0u : std::uint32_t{EPOLLIN}) | (output_.empty() ? 0u : std::uint32_t{EPOLLOUT});
  if (finished()) {
    close();
    return;
  }
  (void)io_.set_io_events(events);
}

void ControlPeer::close() {
  if (closed()) return;
  io_.reset();
  fd_.reset();
  output_.clear();
  server_->forget(this);
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(sd_event* event, UniqueFd listen_fd) {
  int flags = fcntl(listen_fd.get(), F_GETFL);
  if (flags < 0 || fcntl(listen_fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return unexpected(errno_error("Failed to make the control socket non-blocking"));
  }
  std::unique_ptr<ControlServer> self(new ControlServer(event, std::move(listen_fd)));
  VMFORGE_TRY(self->accept_io_, sd::add_io<&ControlServer::on_accept>(event, self->listen_fd_.get(), EPOLLIN,
                                                                      self.get(), "control-listen"));
  VMFORGE_TRY(self->accept_pause_, sd::add_time<&ControlServer::on_resume_accept>(event, CLOCK_MONOTONIC, 0, 10000,
                                                                                  self.get(), "control-accept-pause"));
  VMFORGE_TRY_VOID(self->accept_pause_.set_enabled(sd::Enabled::off));
  VMFORGE_TRY(self->trim_, sd::add_defer<&ControlServer::on_last_client_gone>(event, self.get(), "control-trim"));
  VMFORGE_TRY_VOID(self->trim_.set_enabled(sd::Enabled::off));
  return self;
}

Result<void> ControlServer::on_last_client_gone() {
  (void)trim_.set_enabled(sd::Enabled::off);
  if (peers_.empty()) release_free_memory();
  return {};
}

void ControlServer::add_handler(std::string name, ControlHandler handler) {
  handlers_[std::move(name)] = std::move(handler);
}

void ControlServer::publish(std::string_view line) {
  // Copy first: a peer that overflows is removed from peers_ while we iterate.
  std::vector<std::shared_ptr<ControlPeer>> subscribers;
  for (auto& [ptr, peer] : peers_) {
    if (peer->subscribed()) subscribers.push_back(peer);
  }
  for (auto& peer : subscribers) peer->send(line);
}

Result<void> ControlServer::on_accept(int fd, std::uint32_t) {
  for (;;) {
    UniqueFd client(accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) return {};
      // Out of fds or memory: the connection stays queued and epoll would report it again at
      // once, so stop listening until a client leaves or kAcceptPause passes.
      pause_accepting(errno);
      return {};
    }
    accept_one(std::move(client));
  }
}

void ControlServer::pause_accepting(int error) {
  static sd::LogRateLimit limit(std::chrono::seconds(10), 5);
  sd::log_limited(limit, sd::LogLevel::warning,
                  fmt::format("Failed to accept a control connection: {}; pausing new connections for up to {} ms.",
                              std::strerror(error), kAcceptPause.count()));
  std::uint64_t until = sd::loop_now_usec(event_) + static_cast<std::uint64_t>(kAcceptPause.count()) * 1000u;
  // The timer exists since start(): making one now would need the fd we lack.
  if (!accept_io_.set_enabled(sd::Enabled::off)) return;
  paused_ = true;
  if (!accept_pause_.set_time(until) || !accept_pause_.set_enabled(sd::Enabled::oneshot)) resume_accepting();
}

Result<void> ControlServer::on_resume_accept(std::uint64_t) {
  resume_accepting();
  return {};
}

void ControlServer::resume_accepting() {
  if (!paused_) return;
  paused_ = false;
  (void)accept_pause_.set_enabled(sd::Enabled::off);
  (void)accept_io_.set_enabled(sd::Enabled::on);
}

void ControlServer::forget(ControlPeer* peer) {
  peers_.erase(peer);
  resume_accepting();  // its fd is free again
  // The peer itself may be freed only once its handler returns: trim on the next iteration.
  if (peers_.empty()) (void)trim_.set_enabled(sd::Enabled::oneshot);
}

void ControlServer::accept_one(UniqueFd fd) {
  if (peers_.size() >= kMaxClients) {
    static sd::LogRateLimit limit(std::chrono::seconds(10), 5);
    sd::log_limited(limit, sd::LogLevel::warning,
                    fmt::format("Refusing a control connection: {} clients are connected already.", kMaxClients));
    std::string line =
        control_error(std::nullopt, kUnavailable,
                      fmt::format("Too many control clients ({}) are connected; try again later.", kMaxClients)) +
        "\n";
    (void)!::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  auto peer_cred = peer_credentials(fd.get());
  if (!peer_cred) {
    sd::log_warning("{}; closing the control connection.", peer_cred.error().message);
    return;
  }
  if (auto refused = refusal(*peer_cred)) {
    sd::log_warning("Refusing control connection from uid {} (PID {}): {}", peer_cred->uid, peer_cred->pid, *refused);
    std::string line = control_error(std::nullopt, "PermissionDenied", *refused) + "\n";
    (void)!::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  auto peer = std::make_shared<ControlPeer>(*this, std::move(fd), peer_cred->uid);
  if (auto started = peer->start(event_); !started) {
    sd::log_warning("Failed to serve a control client, closing it: {}", started.error().message);
    return;
  }
  peers_.emplace(peer.get(), peer);
}

void ControlServer::dispatch(const std::shared_ptr<ControlPeer>& peer, std::string_view line) {
  ++peer->unanswered_;  // every request gets one reply, error or return
  auto request = parse_control_request(line);
  if (!request) {
    peer->send_error(std::nullopt, kInvalidRequest, request.error().message);
    return;
  }
  auto handler = handlers_.find(request->name);
  if (handler == handlers_.end()) {
    std::vector<std::string_view> known;
    for (const auto& [name, h] : handlers_) known.push_back(name);
    peer->send_error(request->id, kUnknownRequest,
                     fmt::format("Unknown request '{}'; known requests: {}.", request->name, fmt::join(known, ", ")));
    return;
  }
  handler->second(peer, *request);
}

}  // namespace vmforge::supervisor
