// BlockingClient: QMP for simple programs and tests. It runs the asynchronous Client on a
// private sd_event loop until each call is answered; events are buffered, never lost.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/qmp/client.hpp"

namespace vmforge::qmp {

/// The time limit of a BlockingClient call when the caller gives none.
inline constexpr Timeout kDefaultTimeout = std::chrono::seconds(30);

class BlockingClient {
 public:
  /// Connects to QEMU's monitor socket at `path` and completes the handshake.
  static Result<BlockingClient> connect(std::string_view path, ClientOptions options = {});
  /// Takes ownership of a connected socket and completes the handshake.
  static Result<BlockingClient> attach(UniqueFd fd, ClientOptions options = {});

  BlockingClient(BlockingClient&&) noexcept;
  BlockingClient& operator=(BlockingClient&&) noexcept;
  ~BlockingClient();

  const Greeting& greeting() const;
  bool connected() const;

  /// Runs `command` and returns its `return` value. Errors: see ReplyHandler (QMP's error reply
  /// is EREMOTEIO with its class, qmp_error_class()). Events arriving meanwhile are buffered.
  Result<JsonValue> execute(std::string_view command, std::string_view arguments_json = {},
                            Timeout timeout = kDefaultTimeout, std::span<const int> fds = {});

  /// Runs `command` and waits, besides its reply, for the event matching `until` (see
  /// Client::execute_until); returns the event's data.
  Result<JsonValue> execute_until(std::string_view command, std::string_view arguments_json, EventMatch until,
                                  Timeout timeout = kDefaultTimeout, std::span<const int> fds = {});

  /// Runs `call` to completion (Client::execute(const QmpCall&…)): its reply, or the data of
  /// the event its completion names.
  Result<JsonValue> execute(const QmpCall& call, Timeout timeout = kDefaultTimeout, std::span<const int> fds = {});

  /// The first event named `name` (empty: any) that passes `filter` (empty: all), whether it
  /// arrived before this call or arrives within `timeout`. It is removed from the buffer; the
  /// others stay. ETIMEDOUT when none came; the disconnect reason once the peer is gone.
  Result<Event> wait_event(std::string_view name, const EventFilter& filter, Timeout timeout);
  /// Runs the loop until `done()` holds or `timeout` passes, buffering events; for
  /// pipelined async() commands. False on timeout.
  Result<bool> pump(const std::function<bool()>& done, Timeout timeout);
  /// Every buffered event, oldest first; the buffer is left empty.
  std::vector<Event> take_events();

  /// The underlying asynchronous client (for subscribe() or pipelined execute()). Its loop
  /// only runs inside this object's calls.
  Client& async();

 private:
  struct Impl;
  explicit BlockingClient(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

/// A connected, blocking AF_UNIX stream socket to `path` (CLOEXEC). With `nonblocking` the
/// socket is O_NONBLOCK and the connect never waits: EAGAIN when the listener's queue is full.
Result<UniqueFd> connect_unix(std::string_view path, bool nonblocking = false);

}  // namespace vmforge::qmp
