// ControlServer: serves <state dir>/control.sock on the event loop. Each client sends JSON
// requests one per line (control_protocol.hpp); each request name maps to a handler in a
// table, so other parts (plan/apply) register their own handlers in their own files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/core/control_protocol.hpp"
#include "supervisor/qmp/framing.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

class ControlServer;

/// One connected client. Handlers keep a shared_ptr to answer later (after a QMP reply);
/// once the client is gone, sending is a no-op, so a late answer needs no check.
class ControlPeer : public std::enable_shared_from_this<ControlPeer> {
 public:
  ControlPeer(ControlServer& server, UniqueFd fd, uid_t uid) : server_(&server), fd_(std::move(fd)), uid_(uid) {}
  ControlPeer(const ControlPeer&) = delete;
  ControlPeer& operator=(const ControlPeer&) = delete;

  /// Queues one line (the newline is added) and writes what the socket takes now.
  void send(std::string_view line);
  void send_return(const std::optional<JsonValue>& id, std::string_view return_json);
  void send_error(const std::optional<JsonValue>& id, std::string_view error_class, std::string_view desc);
  /// From now on every line given to ControlServer::publish() is sent here too.
  void subscribe_events() { subscribed_ = true; }

  bool subscribed() const { return subscribed_; }
  bool closed() const { return !fd_.valid(); }
  uid_t uid() const { return uid_; }

 private:
  friend class ControlServer;
  Result<void> start(sd_event* event);
  Result<void> on_io(int fd, std::uint32_t revents);
  void handle_input();
  void flush();
  void close();
  void answered();
  bool finished() const { return input_done_ && output_.empty() && !subscribed_ && unanswered_ == 0; }

  ControlServer* server_;
  UniqueFd fd_;
  uid_t uid_;
  qmp::LineBuffer input_{kMaxRequest};
  std::string output_;
  sd::EventSource io_;
  bool subscribed_ = false;
  bool input_done_ = false;
  std::size_t unanswered_ = 0;  // requests dispatched whose reply is not sent yet

  static constexpr std::size_t kMaxRequest = 1 << 20;
};

/// `peer` sent `request`; the handler answers through the peer now or later.
using ControlHandler = std::function<void(const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request)>;

class ControlServer {
 public:
  /// Serves the listening unix socket `listen_fd` (made non-blocking here). Only peers whose
  /// uid is ours or root's are served; others get a PermissionDenied error and are closed.
  static Result<std::unique_ptr<ControlServer>> start(sd_event* event, UniqueFd listen_fd);

  /// Registers the handler of request `name`, replacing an earlier one.
  void add_handler(std::string name, ControlHandler handler);
  /// Sends `line` to every subscribed peer.
  void publish(std::string_view line);
  std::size_t peer_count() const { return peers_.size(); }

  /// Output a slow subscriber may have queued before it is dropped.
  static constexpr std::size_t kMaxQueuedOutput = 4 << 20;
  /// Clients served at once; more are told so and disconnected (each costs an fd).
  static constexpr std::size_t kMaxClients = 128;
  /// How long accepting pauses when the process is out of fds (or memory), unless a client
  /// leaves first.
  static constexpr std::chrono::milliseconds kAcceptPause{1000};

 private:
  friend class ControlPeer;
  ControlServer(sd_event* event, UniqueFd fd) : event_(event), listen_fd_(std::move(fd)) {}
  Result<void> on_accept(int fd, std::uint32_t revents);
  Result<void> on_resume_accept(std::uint64_t usec);
  Result<void> on_last_client_gone();
  void pause_accepting(int error);
  void resume_accepting();
  void accept_one(UniqueFd fd);
  void dispatch(const std::shared_ptr<ControlPeer>& peer, std::string_view line);
  void forget(ControlPeer* peer);

  sd_event* event_;
  UniqueFd listen_fd_;
  sd::EventSource accept_io_;
  sd::EventSource accept_pause_;  // ends a pause of accepting
  sd::EventSource trim_;          // gives back what serving the clients freed, once all are gone
  bool paused_ = false;
  std::map<std::string, ControlHandler, std::less<>> handlers_;
  std::map<ControlPeer*, std::shared_ptr<ControlPeer>> peers_;
};

}  // namespace vmforge::supervisor
