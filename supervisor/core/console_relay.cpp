// ConsoleRelay: console.log, the ring, and the byte relay between serial.sock and console.sock.
#include "supervisor/core/console_relay.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compiler/base/errno_error.hpp"
#include "supervisor/core/peer_check.hpp"
#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::size_t kChunk = 4096;

Result<void> make_nonblocking(int fd, std::string_view what) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return unexpected(errno_error(fmt::format("Failed to make {} non-blocking", what)));
  }
  return {};
}

// Sends what `fd` takes now from the front of `queue`; false when the peer is gone.
bool send_some(int fd, std::string& queue) {
  while (!queue.empty()) {
    ssize_t n = ::send(fd, queue.data(), queue.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n < 0) return false;
    queue.erase(0, static_cast<std::size_t>(n));
  }
  return true;
}

// Reads what `fd` has now (up to kChunk); the bytes, or nullopt at EOF or on an error.
std::optional<std::string> read_some(int fd) {
  char buf[kChunk];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return std::string();
    if (n <= 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<std::unique_ptr<ConsoleRelay>> ConsoleRelay::start(sd_event* event, const StateDir& state) {
  UniqueFd log(::open(state.console_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600));
  if (!log) return unexpected(errno_error(fmt::format("Failed to open the console log '{}'", state.console_log())));
  VMFORGE_TRY(UniqueFd listen, launch::listen_unix(state.console_socket()));
  VMFORGE_TRY_VOID(make_nonblocking(listen.get(), "the console socket"));
  std::unique_ptr<ConsoleRelay> self(new ConsoleRelay(event, state.console_log(), std::move(log), std::move(listen)));
  VMFORGE_TRY(self->accept_io_,
              sd::add_io<&ConsoleRelay::on_accept>(event, self->listen_.get(), EPOLLIN, self.get(), "console-listen"));
  // Made now: out of fds, making a timer could fail for want of one.
  VMFORGE_TRY(self->accept_pause_, sd::add_time<&ConsoleRelay::on_accept_pause>(event, CLOCK_MONOTONIC, 0, 10000,
                                                                                self.get(), "console-accept-pause"));
  VMFORGE_TRY_VOID(self->accept_pause_.set_enabled(sd::Enabled::off));
  return self;
}

ConsoleRelay::~ConsoleRelay() = default;

Result<void> ConsoleRelay::attach_qemu(UniqueFd serial) {
  drop_qemu();
  VMFORGE_TRY_VOID(make_nonblocking(serial.get(), "the serial socket"));
  qemu_ = std::move(serial);
  VMFORGE_TRY(qemu_io_, sd::add_io<&ConsoleRelay::on_qemu>(event_, qemu_.get(), EPOLLIN, this, "console-qemu"));
  watch_events();
  return {};
}

Result<void> ConsoleRelay::on_accept(int fd, std::uint32_t) {
  UniqueFd client(accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!client && (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)) return {};
  if (!client) {
    // Out of fds or memory: the connection stays queued and epoll would report it again at
    // once; try again in a second.
    sd::log_warning("Failed to accept a console connection: {}; trying again in {} ms.", std::strerror(errno),
                    kAcceptPause.count());
    VMFORGE_TRY_VOID(accept_io_.set_enabled(sd::Enabled::off));
    VMFORGE_TRY_VOID(
        accept_pause_.set_time(sd::loop_now_usec(event_) + static_cast<std::uint64_t>(kAcceptPause.count()) * 1000u));
    return accept_pause_.set_enabled(sd::Enabled::oneshot);
  }
  auto peer = peer_credentials(client.get());
  if (!peer) return {};
  if (auto refused = refusal(*peer)) {
    sd::log_warning("Refusing a console connection from uid {} (PID {}): {}", peer->uid, peer->pid, *refused);
    std::string text = *refused + "\r\n";
    (void)!::send(client.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return {};
  }
  if (client_) {
    std::string note = "\r\n[vmforge: another 'vmforge console' attached to this VM; detaching this one]\r\n";
    to_client_.append(note);
    flush_client();
    drop_client();
  }
  sd::log_info("Console attached (uid {}, PID {}).", peer->uid, peer->pid);
  VMFORGE_TRY(client_io_, sd::add_io<&ConsoleRelay::on_client>(event_, client.get(), EPOLLIN, this, "console-client"));
  client_ = std::move(client);
  to_client_ = recent_.size() > kRecent ? recent_.substr(recent_.size() - kRecent) : recent_;
  flush_client();
  return {};
}

Result<void> ConsoleRelay::on_accept_pause(std::uint64_t) { return accept_io_.set_enabled(sd::Enabled::on); }

Result<void> ConsoleRelay::on_qemu(int, std::uint32_t revents) {
  if (revents & EPOLLOUT) flush_guest();
  if (qemu_ && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
    auto bytes = read_some(qemu_.get());
    if (!bytes) {
      drop_qemu();  // QEMU is going away; its exit is the supervisor's business
    } else {
      from_guest(*bytes);
    }
  }
  watch_events();
  return {};
}

Result<void> ConsoleRelay::on_client(int, std::uint32_t revents) {
  if (revents & EPOLLOUT) flush_client();
  if (client_ && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_client();
  watch_events();
  return {};
}

void ConsoleRelay::from_guest(std::string_view bytes) {
  if (bytes.empty()) return;
  for (std::string_view rest = bytes; !rest.empty() && log_;) {
    ssize_t n = ::write(log_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (!log_failed_) sd::log_warning("Failed to write the console log '{}': {}", log_path_, std::strerror(errno));
      log_failed_ = true;
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  recent_.append(bytes);
  if (recent_.size() > 2 * kRecent) recent_.erase(0, recent_.size() - kRecent);
  to_client(bytes);
}

void ConsoleRelay::to_client(std::string_view bytes) {
  if (!client_) return;
  if (to_client_.size() + bytes.size() > kMaxBacklog) {
    sd::log_warning("The console client does not read the VM's output; detaching it (all of it is in '{}').",
                    log_path_);
    drop_client();
    return;
  }
  to_client_.append(bytes);
  flush_client();
}

void ConsoleRelay::flush_client() {
  if (client_ && !send_some(client_.get(), to_client_)) drop_client();
}

void ConsoleRelay::flush_guest() {
  if (qemu_ && !send_some(qemu_.get(), to_guest_)) drop_qemu();
}

void ConsoleRelay::read_client() {
  auto bytes = read_some(client_.get());
  if (!bytes) {
    drop_client();
    return;
  }
  if (!qemu_) return;  // no QEMU (restarting): the keystrokes have nowhere to go
  to_guest_.append(*bytes);
  flush_guest();
}

void ConsoleRelay::drop_client() {
  if (!client_) return;
  client_io_.reset();
  client_.reset();
  to_client_.clear();
  sd::log_info("Console detached.");
}

void ConsoleRelay::drop_qemu() {
  qemu_io_.reset();
  qemu_.reset();
  to_guest_.clear();
}

// The client's input waits while QEMU has not taken the previous input: that is the bound.
void ConsoleRelay::watch_events() {
  if (qemu_io_.valid()) (void)qemu_io_.set_io_events(EPOLLIN | (to_guest_.empty() ? 0u : std::uint32_t{EPOLLOUT}));
  if (client_io_.valid()) {
    (void)client_io_.set_io_events((to_guest_.empty() ? std::uint32_t{EPOLLIN} : 0u) |
                                   (to_client_.empty() ? 0u : std::uint32_t{EPOLLOUT}));
  }
}

}  // namespace vmforge::supervisor
