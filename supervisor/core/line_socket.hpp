// LineSocket: one line in, one line out on a stream socket, on the event loop; what the
// migration handshake runs on at both ends. Bounded (a longer line is an error, never a
// bigger buffer) and with a deadline; hostile bytes end in an Error, never more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

class LineSocket {
 public:
  /// Called once with the first line read (without its "\n"), or with why there is none: the
  /// connect failed (its errno), the peer closed, the line is longer than `max_line` (EMSGSIZE),
  /// the deadline passed (ETIMEDOUT). Never after the LineSocket is destroyed; it may destroy it.
  using OnLine = std::function<void(Result<std::string>)>;

  /// Watches `fd` (non-blocking; connecting or connected) on `event` until `deadline_usec`
  /// (CLOCK_MONOTONIC).
  static Result<std::unique_ptr<LineSocket>> open(sd_event* event, UniqueFd fd, std::size_t max_line,
                                                  std::uint64_t deadline_usec, OnLine on_line);
  ~LineSocket();
  LineSocket(const LineSocket&) = delete;
  LineSocket& operator=(const LineSocket&) = delete;

  /// Queues `text` to write (once connected); `sent` runs when all of it is written, or an
  /// error ended the socket.
  void send(std::string text, std::function<void()> sent = {});
  /// Moves the deadline (waiting for a reply that takes longer than reading a request).
  void set_deadline(std::uint64_t deadline_usec);

 private:
  LineSocket(sd_event* event, UniqueFd fd, std::size_t max_line, OnLine on_line);
  Result<void> on_io(int fd, std::uint32_t revents);
  Result<void> on_deadline(std::uint64_t usec);
  void flush();
  void read_some();
  void end(Result<std::string> outcome);
  void watch();

  sd_event* event_;
  UniqueFd fd_;
  std::size_t max_line_;
  OnLine on_line_;
  std::string in_, out_;
  std::function<void()> sent_;
  bool connected_ = false;
  bool ended_ = false;
  sd::EventSource io_, timer_;
};

}  // namespace vmforge::supervisor
