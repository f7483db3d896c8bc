// FakeQmpPeer: a scripted, possibly hostile QMP server on one end of a socketpair, run on its
// own thread so the client under test drives a real sd_event loop on the other end. It stands
// in for QEMU only where QEMU cannot produce the case (garbage, floods, silence).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::test {

/// A command as the peer received it.
struct ReceivedCommand {
  std::string execute;
  JsonValue arguments;  // null when absent
  JsonValue id;
  bool has_id = false;
  std::string text;  // as received since the end of the previous command
  std::vector<UniqueFd> fds;
};

class PeerIo {
 public:
  explicit PeerIo(int fd) : fd_(fd) {}

  /// Writes all of `bytes` (false once the client has gone).
  bool send(std::string_view bytes);
  /// Writes `bytes` in pieces of `chunk` bytes, one write() each.
  bool send_split(std::string_view bytes, std::size_t chunk);
  /// The QEMU 7.2 greeting, offering `capabilities` (JSON array text).
  bool greet(std::string_view capabilities = R"(["oob"])");
  /// greet(), then reads qmp_capabilities and answers it; returns that command.
  std::optional<ReceivedCommand> handshake(std::string_view capabilities = R"(["oob"])");
  /// The next command, or nullopt after `timeout` or EOF.
  std::optional<ReceivedCommand> read_command(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// `{"return": <value_json>}`, with `"id": <the command's id>` if it had one.
  bool reply(const ReceivedCommand& command, std::string_view value_json = "{}");
  bool reply_error(const ReceivedCommand& command, std::string_view error_class, std::string_view desc);
  bool event(std::string_view name, std::string_view data_json = {});
  /// True once the client has closed its end (waits up to `timeout`).
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void shutdown_write();

 private:
  int fd_;
  std::string input_;
  std::vector<UniqueFd> pending_fds_;
};

class FakeQmpPeer {
 public:
  FakeQmpPeer();
  ~FakeQmpPeer();

  /// The client's end; call once.
  UniqueFd take_client_fd() { return std::move(client_); }
  /// Starts `script` on the peer thread; the peer's end is closed when it returns.
  void run(std::function<void(PeerIo&)> script);
  void join();

 private:
  UniqueFd client_;
  UniqueFd peer_;
  std::thread thread_;
};

}  // namespace vmforge::test
