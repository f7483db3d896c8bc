// LineSocket: level-triggered io source (EPOLLIN until the line is in, EPOLLOUT while
// connecting or while output is queued), a deadline timer, and callbacks that may destroy it.
#include "supervisor/core/line_socket.hpp"

#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>

#include <fmt/format.h>

namespace vmforge::supervisor {

LineSocket::LineSocket(sd_event* event, UniqueFd fd, std::size_t max_line, OnLine on_line)
    : event_(event), fd_(std::move(fd)), max_line_(max_line), on_line_(std::move(on_line)) {}

LineSocket::~LineSocket() = default;

Result<std::unique_ptr<LineSocket>> LineSocket::open(sd_event* event, UniqueFd fd, std::size_t max_line,
                                                     std::uint64_t deadline_usec, OnLine on_line) {
  std::unique_ptr<LineSocket> s(new LineSocket(event, std::move(fd), max_line, std::move(on_line)));
  VMFORGE_TRY(s->io_, sd::add_io<&LineSocket::on_io>(event, s->fd_.get(), EPOLLIN | EPOLLOUT, s.get(),
                                                      "migration-handshake"));
  VMFORGE_TRY(s->timer_, sd::add_time<&LineSocket::on_deadline>(event, CLOCK_MONOTONIC, deadline_usec, 10000, s.get(),
                                                                  "migration-handshake-deadline"));
  return s;
}

void LineSocket::send(std::string text, std::function<void()> sent) {
  out_ += text;
  sent_ = std::move(sent);
  if (connected_) return flush();
  watch();
}

void LineSocket::set_deadline(std::uint64_t deadline_usec) {
  (void)timer_.set_time(deadline_usec);
  (void)timer_.set_enabled(sd::Enabled::oneshot);
}

Result<void> LineSocket::on_io(int fd, std::uint32_t revents) {
  if (!connected_) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      end(unexpected(Error(strerrordesc_np(err), err)));
      return {};
    }
    connected_ = true;
  }
  if (!out_.empty()) {
    flush();  // may destroy this
  } else if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && on_line_) {
    read_some();  // may destroy this
  } else {
    watch();
  }
  return {};
}

Result<void> LineSocket::on_deadline(std::uint64_t) {
  end(unexpected(Error("no answer in time", ETIMEDOUT)));
  return {};
}

void LineSocket::flush() {
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return watch();
    } else {
      return end(unexpected(Error(strerrordesc_np(errno), errno)));
    }
  }
  if (sent_) {
    auto sent = std::move(sent_);
    sent_ = nullptr;
    watch();
    return sent();  // may destroy this
  }
  watch();
}

void LineSocket::read_some() {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch();
    if (n < 0) return end(unexpected(Error(strerrordesc_np(errno), errno)));
    if (n == 0) return end(unexpected(Error("the peer closed the connection", ECONNRESET)));
    in_.append(buffer, static_cast<std::size_t>(n));
    if (const auto newline = in_.find('\n'); newline != std::string::npos && newline < max_line_) {
      in_.resize(newline);
      return end(std::move(in_));
    }
    if (in_.size() >= max_line_) {
      return end(unexpected(Error(fmt::format("a line longer than {} bytes", max_line_), EMSGSIZE)));
    }
  }
}

// Delivers the line or the error once; an error also ends the socket and a pending send.
void LineSocket::end(Result<std::string> outcome) {
  if (!outcome) {
    io_.reset();
    timer_.reset();
  }
  auto on_line = std::move(on_line_);
  on_line_ = nullptr;
  if (on_line) {
    const bool failed = !outcome;
    if (!failed) watch();
    on_line(std::move(outcome));  // may destroy this
    return;
  }
  if (!outcome && sent_) {
    auto sent = std::move(sent_);
    sent_ = nullptr;
    sent();  // may destroy this
  }
}

void LineSocket::watch() {
  if (!io_.valid()) return;
  std::uint32_t events = on_line_ ? std::uint32_t{EPOLLIN} : 0u;
  if (!connected_ || !out_.empty()) events |= EPOLLOUT;
  (void)io_.set_io_events(events);
  (void)io_.set_enabled(events != 0 ? sd::Enabled::on : sd::Enabled::off);
}

}  // namespace vmforge::supervisor
