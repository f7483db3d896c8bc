// ControlClient: the blocking client side of control.sock, for the CLI commands and tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::supervisor {

class ControlClient {
 public:
  /// Connects to `path`. ENOENT/ECONNREFUSED mean no supervisor serves it; the message says
  /// "VM 'NAME' is not running." when `vm_name` is given.
  static Result<ControlClient> connect(const std::string& path, std::string_view vm_name = {});
  /// Like connect(), but never waits for a supervisor too busy or hung to accept: EAGAIN then.
  /// The socket stays non-blocking (read_line() polls; a request line fits the socket buffer).
  static Result<ControlClient> connect_nowait(const std::string& path);

  /// Sends one request line (a newline is added).
  Result<void> send(std::string_view line);
  /// The next line from the supervisor. ETIMEDOUT after `timeout` (zero: wait forever);
  /// ECONNRESET with "Connection closed." at EOF.
  Result<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  /// send() then read_line(), parsed: the reply's "return" value, or an Error carrying the
  /// reply's "desc" (EREMOTEIO).
  Result<JsonValue> call(std::string_view request_line,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  int fd() const { return fd_.get(); }

 private:
  explicit ControlClient(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::string buffer_;
};

/// The "return" value of a reply line, or its error as an Error (EREMOTEIO, message = desc).
Result<JsonValue> reply_value(std::string_view line);

}  // namespace vmforge::supervisor
