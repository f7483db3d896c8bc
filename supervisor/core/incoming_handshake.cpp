// IncomingHandshake: accept, read one line per connection, answer garbage at once, pass one
// valid hello at a time to the owner. A connection never costs more than its bounded buffer
// and its deadline.
#include "supervisor/core/incoming_handshake.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "supervisor/core/migration_socket.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

// A source's supervisor sends its line at once; a peer that does not is dropped after this.
constexpr std::uint64_t kReadUsec = 10000000;
// An accepted source waits this long for the answer (its QEMU may be restarted first).
constexpr std::uint64_t kAnswerUsec = 60000000;
// Connections reading at once; more are answered "busy" and closed.
constexpr std::size_t kMaxReading = 8;

}  // namespace

IncomingHandshake::IncomingHandshake(sd_event* event, std::string uri, OnHello on_hello)
    : event_(event), uri_(std::move(uri)), on_hello_(std::move(on_hello)) {}

IncomingHandshake::~IncomingHandshake() { stop_listening(); }

Result<std::unique_ptr<IncomingHandshake>> IncomingHandshake::listen(sd_event* event, std::string uri,
                                                                     OnHello on_hello) {
  std::unique_ptr<IncomingHandshake> h(new IncomingHandshake(event, std::move(uri), std::move(on_hello)));
  VMFORGE_TRY_VOID(h->resume_listening());
  return h;
}

Result<void> IncomingHandshake::resume_listening() {
  if (listener_) return {};
  VMFORGE_TRY(UniqueFd fd, listen_migration_uri(uri_));
  VMFORGE_TRY(accept_, sd::add_io<&IncomingHandshake::on_accept>(event_, fd.get(), EPOLLIN, this,
                                                                 "migration-handshake-listen"));
  listener_ = std::move(fd);
  return {};
}

void IncomingHandshake::stop_listening() {
  if (!listener_) return;
  accept_.reset();
  listener_.reset();
  release_migration_uri(uri_);
}

Result<void> IncomingHandshake::on_accept(int fd, std::uint32_t) {
  UniqueFd peer(accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!peer) {
    if (errno != EAGAIN && errno != EINTR) sd::log_warning("Failed to accept on '{}': {}", uri_, strerrordesc_np(errno));
    return {};
  }
  const std::uint64_t now = sd::loop_now_usec(event_);
  // The socket's own address, known once it exists, for its callback to find it by.
  auto self = std::make_shared<LineSocket*>(nullptr);
  auto socket = LineSocket::open(event_, std::move(peer), kHandshakeMaxLine, now + kReadUsec,
                                 [this, self](Result<std::string> line) { on_line(*self, std::move(line)); });
  if (!socket) {
    sd::log_warning("Failed to watch a connection on '{}': {}", uri_, socket.error().message);
    return {};
  }
  LineSocket* raw = socket->get();
  *self = raw;
  if (reading_.size() >= kMaxReading) {
    close_later(raw, reply_line("too many connections at once"));
    closing_.push_back(std::move(*socket));
    return {};
  }
  reading_.push_back(std::move(*socket));
  return {};
}

std::unique_ptr<LineSocket> IncomingHandshake::take(LineSocket* socket) {
  for (auto* list : {&reading_, &closing_}) {
    auto it = std::find_if(list->begin(), list->end(), [&](const auto& s) { return s.get() == socket; });
    if (it == list->end()) continue;
    std::unique_ptr<LineSocket> taken = std::move(*it);
    list->erase(it);
    return taken;
  }
  return nullptr;
}

void IncomingHandshake::on_line(LineSocket* socket, Result<std::string> line) {
  if (!line) {
    // Nothing to answer when the peer is gone or silent; a line too long is told why.
    sd::log_warning("A migration handshake on '{}' failed: {}.", uri_, line.error().message);
    if (line.error().errno_value == EMSGSIZE) return close_later(socket, reply_line(line.error().message));
    take(socket);
    return;
  }
  auto hello = parse_hello(*line);
  if (!hello) {
    sd::log_warning("Refused a migration handshake on '{}': {}.", uri_, hello.error().message);
    return close_later(socket, reply_line(hello.error().message));
  }
  if (current_) return close_later(socket, reply_line("another migration's handshake is under way"));
  current_ = take(socket);
  current_->set_deadline(sd::loop_now_usec(event_) + kAnswerUsec);
  on_hello_(std::move(*hello));
}

// Moves `socket` to closing_, sends `reply`, and drops it once written (or failed).
void IncomingHandshake::close_later(LineSocket* socket, std::string reply) {
  if (auto taken = take(socket)) closing_.push_back(std::move(taken));
  socket->send(std::move(reply), [this, socket] { auto dropped = take(socket); });
}

void IncomingHandshake::answer(std::string_view refusal) {
  if (!current_) return;
  LineSocket* socket = current_.get();
  closing_.push_back(std::move(current_));
  socket->send(reply_line(refusal), [this, socket] { auto dropped = take(socket); });
}

}  // namespace vmforge::supervisor
