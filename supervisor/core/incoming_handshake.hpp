// IncomingHandshake: the destination's side of the migration handshake (migration_handshake.hpp).
// Listens on the migration URI before QEMU does, reads each connection's line (bounded, with a
// deadline), answers what is not a valid hello itself and hands a valid one to its owner, one at
// a time; the owner answers it once it has decided (and, when it accepts, its QEMU listens).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/core/line_socket.hpp"
#include "supervisor/core/migration_handshake.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

class IncomingHandshake {
 public:
  using OnHello = std::function<void(MigrationHello hello)>;

  /// Listens on `uri`; `on_hello` gets each valid hello while none is being answered.
  static Result<std::unique_ptr<IncomingHandshake>> listen(sd_event* event, std::string uri, OnHello on_hello);
  ~IncomingHandshake();
  IncomingHandshake(const IncomingHandshake&) = delete;
  IncomingHandshake& operator=(const IncomingHandshake&) = delete;

  /// Stops listening and frees the URI for QEMU (a unix socket file is removed); the source
  /// being answered stays connected.
  void stop_listening();
  /// Listens again after stop_listening() (a refused source may try again).
  Result<void> resume_listening();
  /// Answers the hello being handled: ok when `refusal` is empty. Does nothing when none is.
  void answer(std::string_view refusal);
  /// A hello is being handled and not answered yet.
  bool answering() const { return current_ != nullptr; }

 private:
  IncomingHandshake(sd_event* event, std::string uri, OnHello on_hello);
  Result<void> on_accept(int fd, std::uint32_t revents);
  void on_line(LineSocket* socket, Result<std::string> line);
  void close_later(LineSocket* socket, std::string reply);
  std::unique_ptr<LineSocket> take(LineSocket* socket);

  sd_event* event_;
  std::string uri_;
  OnHello on_hello_;
  UniqueFd listener_;
  sd::EventSource accept_;
  std::vector<std::unique_ptr<LineSocket>> reading_;  // connections whose line is not in yet
  std::vector<std::unique_ptr<LineSocket>> closing_;  // refused: writing their answer, then closed
  std::unique_ptr<LineSocket> current_;               // the hello being handled
};

}  // namespace vmforge::supervisor
