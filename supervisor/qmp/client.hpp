// Client: an asynchronous QMP client on an sd_event loop. An explicit state machine
// (awaiting greeting -> negotiating -> running -> disconnected), any number of commands in
// flight, sent without ids and matched to replies in order, events to subscribers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "compiler/qmp/call.hpp"
#include "supervisor/qmp/framing.hpp"
#include "supervisor/qmp/message.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::qmp {

/// A command's time limit. Zero means none.
using Timeout = std::chrono::milliseconds;
using CommandId = std::uint64_t;
using SubscriptionId = std::uint64_t;

/// Called exactly once per command (unless it was cancelled or the Client destroyed) with the
/// `return` value, or an Error: EREMOTEIO for QMP's error reply, with message
/// "QMP command 'X' failed: <desc> (<class>)" (see qmp_error_class()); ETIMEDOUT; ECONNRESET or
/// the protocol error that ended the connection.
using ReplyHandler = std::function<void(Result<JsonValue>)>;
using EventHandler = std::function<void(const Event&)>;
using EventFilter = std::function<bool(const Event&)>;

/// The QMP error class of an Error from a failed command (e.g. "DeviceNotActive", kept in
/// Error::code), or empty when the failure was not QMP's error reply.
std::string_view qmp_error_class(const Error& error);

/// A filter for events whose data member `key` is the string `value` (e.g. DEVICE_DELETED's
/// "device"); events without that member never match.
EventFilter data_equals(std::string key, std::string value);

/// An event that completes a command, e.g. DEVICE_DELETED with data.device == id.
struct EventMatch {
  std::string name;
  EventFilter filter;  // empty: any event named `name`
  /// For events meaning the awaited one will never come (the guest refused an eject): the
  /// reason, and the command fails with it (EIO) at once instead of timing out.
  std::function<std::optional<std::string>(const Event&)> failure = {};
  /// How many matching or failing events end the command (each job of a transaction sends its
  /// own); it fails if one of them failed.
  std::size_t count = 1;
};

/// The event a call's Completion waits for: its name, with data.device (or data.path, for a
/// QOM path) equal to the completion's device id when it has one. Awaiting DEVICE_DELETED, a
/// guest's refusal (ACPI_DEVICE_OST for the eject with a failure status: a DIMM whose memory
/// is in use answers 130; DEVICE_UNPLUG_GUEST_ERROR) fails the call at once.
EventMatch awaited_event(const Completion& completion);

struct ClientOptions {
  /// Longest message accepted from the peer. QEMU 7.2's largest real reply is the 207 KB
  /// query-qmp-schema; replies of 16 MiB and more must pass.
  std::size_t max_message_size = 32u << 20;
  /// Time allowed from attach() to the peer's greeting; zero for none (an owner that can tell
  /// a slow peer from a dead one watches the greeting itself).
  Timeout handshake_timeout = std::chrono::seconds(10);
  /// Time allowed for the reply to `qmp_capabilities` once the greeting came: a peer that
  /// greeted is up, and one that then goes silent is not merely slow.
  Timeout capabilities_timeout = std::chrono::seconds(10);
  /// Negotiate the 'oob' capability when QEMU offers it.
  bool enable_oob = true;
};

enum class ClientState { awaiting_greeting, negotiating, running, disconnected };
std::string_view to_string(ClientState state);

class Client {
 public:
  /// Takes ownership of `fd`, a connected stream socket (made non-blocking), and starts the
  /// handshake on `event`, which must outlive the Client. Commands issued before the
  /// negotiation ended are held and then sent right behind `qmp_capabilities` (their timeouts
  /// start then); if the negotiation fails, they fail with it.
  static Result<std::unique_ptr<Client>> attach(sd_event* event, UniqueFd fd, ClientOptions options = {});

  /// Closes the connection without calling any handler. Safe inside the Client's own callbacks.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ClientState state() const { return state_; }
  /// The peer's greeting; meaningful from the negotiating state on.
  const Greeting& greeting() const { return greeting_; }
  bool oob_enabled() const { return oob_enabled_; }
  /// Commands sent or queued whose reply has not been delivered.
  std::size_t pending() const { return pending_.size(); }

  /// Called once the capabilities negotiation succeeded.
  void on_ready(std::function<void()> handler) { on_ready_ = std::move(handler); }
  /// Called once when the connection ends (EOF, protocol error, close()); every pending
  /// command has been failed with the same reason just before.
  void on_disconnect(std::function<void(const Error&)> handler) { on_disconnect_ = std::move(handler); }

  /// Sends `command` with `arguments_json` (a JSON object's text; empty means none). The
  /// `fds` are duplicated at once and sent with the command (SCM_RIGHTS), for getfd/add-fd;
  /// such a command is written only when the previous one with fds has answered (QEMU keeps
  /// a message's fds for the next getfd/add-fd it runs, and drops them when other fds come
  /// first), so QEMU cannot hand its fds to another command; commands in flight without fds
  /// do not hold it back. Fails (ENOTCONN, EINVAL) without calling `handler`.
  Result<CommandId> execute(std::string_view command, std::string_view arguments_json, Timeout timeout,
                            ReplyHandler handler, std::span<const int> fds = {});
  /// Like execute(), but the command is complete only when, besides a successful reply, an
  /// event matching `until` has arrived after this call (before or after the reply: QEMU may
  /// send it first). `timeout` covers both; the handler gets the event's data. Unplugging
  /// with device_del is the use: the device is gone on DEVICE_DELETED, not on the reply.
  Result<CommandId> execute_until(std::string_view command, std::string_view arguments_json, EventMatch until,
                                  Timeout timeout, ReplyHandler handler, std::span<const int> fds = {});
  /// Executes `call`: execute(), or execute_until() the event its completion names. `timeout`
  /// is the caller's (a plan's executor passes the completion's). `fds` as for execute() (the
  /// caller opens the call's `file`).
  Result<CommandId> execute(const QmpCall& call, Timeout timeout, ReplyHandler handler, std::span<const int> fds = {});
  /// Executes a query (`query-*`, `qom-list`, `qom-get`, HMP `info`: commands that change
  /// nothing; not the progress queries query-jobs, query-block-jobs, query-migrate,
  /// query-blockstats, query-stats, whose answers move without an event), or reuses the reply (or QMP error reply) of
  /// the same query, command and arguments alike, when nothing since it was sent could have changed QEMU's state as
  /// this client sees it: no event came and no other command was sent. A reused reply runs `handler` before this
  /// returns, and the id is 0. QEMU sends every monitor the events of its run state, but not of a device another
  /// monitor adds: an owner that lets other monitors exist decides whether what it asks may be reused.
  Result<CommandId> query(const QmpCall& call, Timeout timeout, ReplyHandler handler);
  /// Forgets a command: its handler is never called. Not yet written: it is never sent.
  /// Already written: its reply is dropped when it comes. False if `id` is not pending.
  bool cancel(CommandId id);

  /// Delivers events named `name` (empty: every event) that pass `filter` (empty: all) to
  /// `handler`, in arrival order, until unsubscribe().
  SubscriptionId subscribe(std::string name, EventFilter filter, EventHandler handler);
  void unsubscribe(SubscriptionId id);

  /// Ends the connection: pending commands fail with ECANCELED, then on_disconnect runs.
  void close();

 private:
  struct Pending {
    std::string command;
    ReplyHandler handler;
    std::uint64_t deadline = 0;  // CLOCK_MONOTONIC usec; 0 = none
    Timeout timeout{};
    bool written = false;
    bool replied = false;  // only for commands that also wait for an event
    std::optional<EventMatch> until;
    std::optional<JsonValue> event_data;  // set once the awaited event came (the last of `count`)
    std::size_t events_seen = 0;          // of until->count
    std::optional<std::string> failure;   // the first awaited event that said the call failed
  };
  struct Outgoing {
    CommandId id;
    std::string bytes;
    std::vector<UniqueFd> fds;
  };
  struct Subscription {
    SubscriptionId id;
    std::string name;
    EventFilter filter;
    EventHandler handler;
    bool removed = false;
  };

  Client(sd_event* event, UniqueFd fd, ClientOptions options);
  Result<void> start();

  Result<void> on_io(int fd, std::uint32_t revents);
  Result<void> on_timer(std::uint64_t usec);
  Result<void> on_flush();

  // Each returns false when the Client was destroyed by a user callback it ran.
  bool read_input();
  bool handle_line(std::string_view line);
  bool handle_greeting(Greeting greeting);
  std::optional<Error> unexpected_reply(const std::optional<JsonValue>& id, std::string_view line) const;
  bool handle_reply(JsonValue* value, const ErrorReply* error);
  bool dispatch_event(const Event& event);
  bool disconnect(Error reason);

  // These never run user callbacks: a failure is recorded and the socket shut down, so the
  // io callback ends the connection (execute() can call them safely).
  void flush();
  void want_write(bool on);
  void arm_timer();
  void fail_later(Error reason);

  Result<CommandId> submit(std::string_view command, std::string_view arguments_json, Timeout timeout,
                           ReplyHandler handler, std::span<const int> fds, std::optional<EventMatch> until);
  bool match_awaited_events(const Event& event);
  void state_may_change();
  bool finish(CommandId id, Result<JsonValue> outcome);
  void start_deadline(CommandId id, Pending& p);
  bool give_up(CommandId id, Error reason);
  void stop_tracking(CommandId id, const Pending& p);
  void mark_written(CommandId id);
  void answered(CommandId id);
  ssize_t send_with_fds(const Outgoing& o);
  void forget(CommandId id, const Pending& p);

  sd_event* event_;
  UniqueFd fd_;
  ClientOptions options_;
  ClientState state_ = ClientState::awaiting_greeting;
  Greeting greeting_;
  bool oob_enabled_ = false;
  LineBuffer input_;
  sd::EventSource io_;
  sd::EventSource timer_;
  sd::EventSource flush_;       // writes commands queued in a burst once per loop iteration
  std::uint64_t armed_ = 0;     // time the timer is set to; 0 = off
  std::uint64_t accuracy_ = 0;  // the timer's slack as last set
  bool writing_ = false;        // EPOLLOUT requested
  std::uint64_t handshake_deadline_ = 0;
  std::optional<Error> deferred_failure_;

  CommandId next_id_ = 1;
  std::map<CommandId, Pending> pending_;
  std::set<std::pair<std::uint64_t, CommandId>> deadlines_;
  std::deque<Outgoing> queue_;  // not yet written
  std::string out_;             // written in part; its commands count as sent
  std::size_t out_offset_ = 0;
  // Written commands whose reply has not come, in the order they were written: QEMU answers a
  // monitor's in-band commands in that order, so commands go out without an id (QEMU reads its
  // input a byte per main-loop pass: each byte costs a round trip). One no longer in pending_
  // was cancelled or timed out: its reply is still due and is dropped when it comes.
  std::deque<CommandId> unanswered_;
  std::optional<CommandId> fds_in_flight_;  // written with fds, not yet answered
  std::size_t awaiting_events_ = 0;         // pending commands with `until`

  // Replies query() may reuse, by command and arguments; emptied by state_may_change(), which
  // counts in `generation_`: a reply is kept only if no change came while it was awaited.
  std::map<std::string, Result<JsonValue>, std::less<>> answered_queries_;
  std::uint64_t generation_ = 0;

  SubscriptionId next_subscription_ = 1;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  int dispatching_ = 0;

  std::function<void()> on_ready_;
  std::function<void(const Error&)> on_disconnect_;

  // Expires when the Client is destroyed: code that ran a user callback checks it before
  // touching members again.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace vmforge::qmp
