// Client: the QMP state machine, the write queue (with the fd-passing barrier), reply matching,
// timeouts and event dispatch. User callbacks may destroy the Client: every path that ran one
// checks `alive_` before touching members again.
#include "supervisor/qmp/client.hpp"
#include "compiler/base/errno_error.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "supervisor/sd/event_loop.hpp"

namespace vmforge::qmp {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxFdsPerCommand = 16;  // QEMU's socket chardev keeps at most 16
// A deadline may be dispatched late by 1/16 of the time it was set for, 1 to 250 ms: sd-event
// then puts the deadlines of a stream of commands on the same point of its wake-up grid, and
// leaves its timerfd alone instead of re-arming it for each command.
constexpr std::uint64_t kMinTimerSlackUsec = 1000;
constexpr std::uint64_t kMaxTimerSlackUsec = 250 * 1000;
constexpr std::size_t kShrinkAbove = 256 * 1024;
// QEMU 7.2's JSON parser refuses more than 1024 levels of nesting and 2 M tokens in a message.
constexpr std::size_t kMaxArgumentsDepth = 1000;
constexpr std::size_t kMaxArgumentsBytes = 1024 * 1024;

std::uint64_t to_usec(Timeout t) { return static_cast<std::uint64_t>(t.count()) * 1000u; }

// No id (replies are matched in order), no empty arguments and no newline (QEMU's JSON stream
// ends a command at its closing brace): every byte costs QEMU a pass of its loop.
std::string command_bytes(std::string_view command, std::string_view arguments) {
  std::string out;
  out.reserve(command.size() + arguments.size() + 24);
  out += "{\"execute\":";
  append_json_string(out, command);
  if (!arguments.empty() && arguments != "{}") {
    out += ",\"arguments\":";
    out += arguments;
  }
  out += '}';
  return out;
}

// Out of line: inlined into its caller, GCC 12 warns that the moved variant "may be used
// uninitialized" (a false positive in its std::variant move).
[[gnu::noinline]] JsonValue take_event_data(std::optional<JsonValue>& data) { return std::move(*data); }

// Queries whose answer moves on with no event and no command: a job's or a migration's
// progress, I/O counters. query() never reuses their replies.
bool reports_progress(std::string_view command) {
  for (std::string_view moving : {"query-jobs", "query-block-jobs", "query-migrate", "query-blockstats", "query-stats"})
    if (command == moving) return true;
  return false;
}

// The commands query() may answer from an earlier reply: they read, never change, QEMU's state
// (HMP's `info` commands too: `info network` shows what no QMP query does).
bool is_query(std::string_view command, std::string_view arguments) {
  if (reports_progress(command)) return false;
  if (command.starts_with("query-") || command == "qom-list" || command == "qom-get") return true;
  if (command != "human-monitor-command") return false;
  auto parsed = parse_json(arguments);
  auto line = parsed ? parsed->get_string("command-line") : std::nullopt;
  return line && line->starts_with("info ");
}

std::string query_key(const QmpCall& call) { return call.command + '\n' + call.arguments; }

// The deepest nesting of brackets and braces in valid JSON `text`.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// A command QEMU cannot parse is answered with several id-less errors (one per stray token),
// which would be taken for the replies of the commands behind it: only JSON objects within
// QEMU's parser limits (nesting 1024 with the command's own braces, 2 M tokens) are sent.
Result<void> check_arguments(std::string_view command, std::string_view arguments) {
  if (arguments.empty() || arguments == "{}") return {};
  auto parsed = parse_json(arguments);
  if (!parsed || !parsed->is_object()) {
    return unexpected(Error(
        fmt::format("Arguments of QMP command '{}' are not a JSON object: '{}'", command, excerpt(arguments)), EINVAL));
  }
  if (arguments.size() > kMaxArgumentsBytes || nesting_depth(arguments) > kMaxArgumentsDepth) {
    return unexpected(Error(fmt::format("Arguments of QMP command '{}' exceed what QEMU parses ({} bytes, nesting {})",
                                        command, kMaxArgumentsBytes, kMaxArgumentsDepth),
                            EINVAL));
  }
  return {};
}

}  // namespace

std::string_view qmp_error_class(const Error& error) {
  return error.errno_value == EREMOTEIO ? std::string_view(error.code) : std::string_view();
}

EventFilter data_equals(std::string key, std::string value) {
  return [key = std::move(key), value = std::move(value)](const Event& e) {
    auto found = e.data.get_string(key);
    return found && *found == value;
  };
}

std::string_view to_string(ClientState state) {
  switch (state) {
    case ClientState::awaiting_greeting: return "awaiting-greeting";
    case ClientState::negotiating: return "negotiating";
    case ClientState::running: return "running";
    case ClientState::disconnected: return "disconnected";
  }
  return "unknown";
}

Client::Client(sd_event* event, UniqueFd fd, ClientOptions options)
    : event_(event), fd_(std::move(fd)), options_(options), input_(options.max_message_size) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::attach(sd_event* event, UniqueFd fd, ClientOptions options) {
  if (!fd) return unexpected(Error("No QMP socket to attach to", EBADF));
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return unexpected(errno_error("Failed to make the QMP socket non-blocking", errno));
  }
  std::unique_ptr<Client> client(new Client(event, std::move(fd), options));
  VMFORGE_TRY_VOID(client->start());
  return client;
}

Result<void> Client::start() {
  VMFORGE_TRY(io_, sd::add_io<&Client::on_io>(event_, fd_.get(), EPOLLIN, this, "qmp-io"));
  VMFORGE_TRY(timer_,
              sd::add_time<&Client::on_timer>(event_, CLOCK_MONOTONIC, 0, kMinTimerSlackUsec, this, "qmp-timeout"));
  VMFORGE_TRY_VOID(timer_.set_enabled(sd::Enabled::off));
  VMFORGE_TRY(flush_, sd::add_defer<&Client::on_flush>(event_, this, "qmp-flush"));
  VMFORGE_TRY_VOID(flush_.set_enabled(sd::Enabled::off));
  if (options_.handshake_timeout.count() > 0) {
    handshake_deadline_ = sd::monotonic_usec() + to_usec(options_.handshake_timeout);
  }
  arm_timer();
  return {};
}

// ---- commands ---------------------------------------------------------------------------------

Result<CommandId> Client::execute(std::string_view command, std::string_view arguments_json, Timeout timeout,
                                  ReplyHandler handler, std::span<const int> fds) {
  return submit(command, arguments_json, timeout, std::move(handler), fds, std::nullopt);
}

Result<CommandId> Client::execute_until(std::string_view command, std::string_view arguments_json, EventMatch until,
                                        Timeout timeout, ReplyHandler handler, std::span<const int> fds) {
  return submit(command, arguments_json, timeout, std::move(handler), fds, std::move(until));
}

Result<CommandId> Client::execute(const QmpCall& call, Timeout timeout, ReplyHandler handler,
                                  std::span<const int> fds) {
  std::optional<EventMatch> until;
  if (call.completion.kind == Completion::Kind::event) until = awaited_event(call.completion);
  return submit(call.command, call.arguments, timeout, std::move(handler), fds, std::move(until));
}

Result<CommandId> Client::query(const QmpCall& call, Timeout timeout, ReplyHandler handler) {
  if (!is_query(call.command, call.arguments)) {
    return unexpected(Error(fmt::format("QMP command '{}' is not a query", call.command), EINVAL));
  }
  std::string key = query_key(call);
  if (auto known = answered_queries_.find(key); known != answered_queries_.end()) {
    handler(known->second);
    return CommandId{0};
  }
  // A QMP error reply is an answer too (a query the machine lacks); a timeout or a lost
  // connection is not.
  auto keep = [this, key = std::move(key), sent_at = generation_,
               handler = std::move(handler)](Result<JsonValue> reply) {
    if (sent_at == generation_ && (reply || reply.error().errno_value == EREMOTEIO))
      answered_queries_.emplace(key, reply);
    handler(std::move(reply));
  };
  return submit(call.command, call.arguments, timeout, std::move(keep), {}, std::nullopt);
}

void Client::state_may_change() {
  ++generation_;
  answered_queries_.clear();
}

Result<CommandId> Client::submit(std::string_view command, std::string_view arguments_json, Timeout timeout,
                                 ReplyHandler handler, std::span<const int> fds, std::optional<EventMatch> until) {
  if (state_ == ClientState::disconnected) {
    return unexpected(Error(fmt::format("Cannot send QMP command '{}': the connection is closed", command), ENOTCONN));
  }
  if (command.empty()) return unexpected(Error("QMP command name is empty", EINVAL));
  VMFORGE_TRY_VOID(check_arguments(command, arguments_json));
  if (fds.size() > kMaxFdsPerCommand) {
    return unexpected(Error(fmt::format("QMP command '{}' passes {} file descriptors, at most {} are allowed", command,
                                        fds.size(), kMaxFdsPerCommand),
                            EINVAL));
  }
  std::vector<UniqueFd> owned;
  for (int fd : fds) {
    UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!copy)
      return unexpected(errno_error(fmt::format("Failed to duplicate fd {} for QMP command '{}'", fd, command), errno));
    owned.push_back(std::move(copy));
  }
  if (!is_query(command, arguments_json)) state_may_change();
  CommandId id = next_id_++;
  Pending& p = pending_[id];
  p.command = std::string(command);
  p.handler = std::move(handler);
  p.timeout = timeout;
  if (until) {
    p.until = std::move(until);
    ++awaiting_events_;
  }
  // Held for the handshake, its time starts with the negotiation's end: a peer slow to greet
  // (guarded by the handshake deadline, or by the owner) is not a slow reply.
  if (state_ == ClientState::running) start_deadline(id, p);
  queue_.push_back(Outgoing{id, command_bytes(command, arguments_json), std::move(owned)});
  // A lone command goes out at once (round trip latency); one of a burst waits for the end of
  // this loop iteration, so the burst leaves in one write instead of one per command (each
  // write wakes QEMU's monitor). While the socket is full, EPOLLOUT will flush.
  if (writing_) return id;
  if (unanswered_.empty() && queue_.size() == 1) {
    flush();
  } else if (auto r = flush_.set_enabled(sd::Enabled::oneshot); !r) {
    fail_later(r.error());
  }
  return id;
}

void Client::start_deadline(CommandId id, Pending& p) {
  if (p.timeout.count() <= 0) return;
  // The clock, not the loop's time: the owner may not have run the loop for a while.
  p.deadline = sd::monotonic_usec() + to_usec(p.timeout);
  deadlines_.emplace(p.deadline, id);
  if (armed_ == 0 || p.deadline < armed_) arm_timer();
}

void Client::answered(CommandId id) {
  // Only a command with fds waits, for the reply of the one before it (see flush());
  // everything else is already on its way.
  if (fds_in_flight_ != id) return;
  fds_in_flight_.reset();
  if (!writing_ && !queue_.empty()) flush();
}

Result<void> Client::on_flush() {
  flush();
  return {};
}

bool Client::cancel(CommandId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  stop_tracking(id, it->second);
  forget(id, it->second);
  pending_.erase(it);
  return true;
}

void Client::stop_tracking(CommandId id, const Pending& p) {
  // A written one keeps its place in unanswered_: its reply is still due.
  if (!p.written) std::erase_if(queue_, [id](const Outgoing& o) { return o.id == id; });
}

bool Client::give_up(CommandId id, Error reason) {
  stop_tracking(id, pending_.find(id)->second);
  return finish(id, unexpected(std::move(reason)));
}

void Client::forget(CommandId id, const Pending& p) {
  if (p.deadline != 0) deadlines_.erase({p.deadline, id});
  if (p.until) --awaiting_events_;
  // Nothing left to time: disarm, so an idle client never wakes for a deadline long gone.
  if (deadlines_.empty()) arm_timer();
}

bool Client::finish(CommandId id, Result<JsonValue> outcome) {
  auto it = pending_.find(id);
  Pending p = std::move(it->second);
  pending_.erase(it);
  forget(id, p);
  if (!p.handler) return true;
  std::weak_ptr<char> alive = alive_;
  p.handler(std::move(outcome));
  return !alive.expired();
}

void Client::close() { disconnect(Error("QMP connection closed by its owner", ECANCELED)); }

// ---- writing ----------------------------------------------------------------------------------

void Client::fail_later(Error reason) {
  if (!deferred_failure_) deferred_failure_ = std::move(reason);
  // Both directions shut: the io source sees EPOLLHUP and disconnect() runs from there, never
  // from inside execute().
  ::shutdown(fd_.get(), SHUT_RDWR);
}

void Client::mark_written(CommandId id) {
  pending_[id].written = true;
  unanswered_.push_back(id);
}

void Client::flush() {
  if (state_ == ClientState::disconnected || deferred_failure_) return;
  while (true) {
    if (out_offset_ < out_.size()) {
      ssize_t n = ::send(fd_.get(), out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return want_write(true);
        return fail_later(errno_error("Failed to write to the QMP socket", errno));
      }
      out_offset_ += static_cast<std::size_t>(n);
      continue;
    }
    out_.clear();
    out_offset_ = 0;
    if (out_.capacity() > kShrinkAbove) out_.shrink_to_fit();
    // Commands follow qmp_capabilities at once: QEMU runs a monitor's commands in order, so
    // they see the negotiated mode, and a start-up saves a round trip.
    if (state_ == ClientState::awaiting_greeting || queue_.empty()) break;
    if (queue_.front().fds.empty()) {
      while (!queue_.empty() && queue_.front().fds.empty()) {
        out_ += queue_.front().bytes;
        mark_written(queue_.front().id);
        queue_.pop_front();
      }
      continue;
    }
    // QEMU keeps the fds of the latest recvmsg() until a getfd/add-fd takes them, and closes
    // them when the next fds arrive first: send them once the command that took the previous
    // ones has answered. Other commands in flight take no fds, so they need not be waited for.
    if (fds_in_flight_) break;
    ssize_t n = send_with_fds(queue_.front());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return want_write(true);
      return fail_later(errno_error("Failed to pass file descriptors over the QMP socket", errno));
    }
    Outgoing head = std::move(queue_.front());
    queue_.pop_front();
    mark_written(head.id);
    fds_in_flight_ = head.id;
    out_.assign(head.bytes, static_cast<std::size_t>(n));
  }
  want_write(false);
}

ssize_t Client::send_with_fds(const Outgoing& o) {
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(o.bytes.data());
  iov.iov_len = o.bytes.size();
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerCommand)] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * o.fds.size());
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * o.fds.size());
  for (std::size_t i = 0; i < o.fds.size(); ++i) {
    int fd = o.fds[i].get();
    std::memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof(int));
  }
  return ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Client::want_write(bool on) {
  if (on == writing_) return;
  if (auto r = io_.set_io_events(EPOLLIN | (on ? EPOLLOUT : 0u)); !r) return fail_later(r.error());
  writing_ = on;
}

// ---- timers -----------------------------------------------------------------------------------

void Client::arm_timer() {
  std::uint64_t earliest = handshake_deadline_;
  if (!deadlines_.empty() && (earliest == 0 || deadlines_.begin()->first < earliest)) {
    earliest = deadlines_.begin()->first;
  }
  if (earliest == 0) {
    if (armed_ != 0) {
      armed_ = 0;
      if (auto r = timer_.set_enabled(sd::Enabled::off); !r) fail_later(r.error());
    }
    return;
  }
  // While commands are in flight, a timer set earlier than needed is kept: it fires, finds
  // nothing due and re-arms. That saves re-arming on every reply.
  if (armed_ != 0 && armed_ <= earliest) return;
  std::uint64_t now = sd::monotonic_usec();
  std::uint64_t slack = std::clamp((earliest > now ? earliest - now : 0) / 16, kMinTimerSlackUsec, kMaxTimerSlackUsec);
  // A stream of commands with the same timeout asks for the same slack each time.
  if (slack != accuracy_) {
    if (auto r = timer_.set_accuracy(slack); !r) return fail_later(r.error());
    accuracy_ = slack;
  }
  if (auto r = timer_.set_time(earliest); !r) return fail_later(r.error());
  if (auto r = timer_.set_enabled(sd::Enabled::oneshot); !r) return fail_later(r.error());
  armed_ = earliest;
}

Result<void> Client::on_timer(std::uint64_t) {
  armed_ = 0;
  // What the peer sent in time counts: read it first (the loop may not have run for a while,
  // and this iteration may dispatch the timer before the socket).
  if (!read_input() || state_ == ClientState::disconnected) return {};
  std::weak_ptr<char> alive = alive_;
  std::uint64_t now = sd::loop_now_usec(event_);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    CommandId id = deadlines_.begin()->second;
    Pending& p = pending_.find(id)->second;
    std::string why = p.replied ? fmt::format("QMP command '{}' succeeded, but no '{}' event came within {} ms",
                                              p.command, p.until->name, p.timeout.count())
                                : fmt::format("QMP command '{}' timed out after {} ms", p.command, p.timeout.count());
    if (!give_up(id, Error(std::move(why), ETIMEDOUT))) return {};
  }
  if (handshake_deadline_ != 0 && handshake_deadline_ <= now) {
    disconnect(Error(fmt::format("QMP handshake did not complete within {} ms: no greeting from QEMU (is another "
                                 "client connected to this monitor?)",
                                 options_.handshake_timeout.count()),
                     ETIMEDOUT));
    return {};
  }
  arm_timer();
  return {};
}

// ---- reading ----------------------------------------------------------------------------------

Result<void> Client::on_io(int, std::uint32_t revents) {
  if (revents & EPOLLOUT) flush();
  if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_input();
  return {};
}

bool Client::read_input() {
  std::span<char> space = input_.prepare(kReadChunk);
  ssize_t n = ::read(fd_.get(), space.data(), space.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    return disconnect(deferred_failure_ ? *deferred_failure_
                                        : errno_error("Failed to read from the QMP socket", errno));
  }
  if (n == 0) {
    return disconnect(deferred_failure_ ? *deferred_failure_ : Error("QMP peer closed the connection", ECONNRESET));
  }
  input_.commit(static_cast<std::size_t>(n));
  while (state_ != ClientState::disconnected) {
    auto line = input_.next_line();
    if (!line) {
      return disconnect(
          Error(fmt::format("QMP peer sent an invalid message: {}", line.error().message), line.error().errno_value));
    }
    if (!*line) break;
    if (!handle_line(**line)) return false;
  }
  return true;
}

bool Client::handle_line(std::string_view line) {
  auto parsed = parse_message(line);
  if (!parsed) {
    return disconnect(Error(
        fmt::format("QMP peer sent an invalid message ({}): '{}'", parsed.error().message, excerpt(line)), EBADMSG));
  }
  Message& message = *parsed;
  if (auto* greeting = std::get_if<Greeting>(&message)) return handle_greeting(std::move(*greeting));
  if (state_ == ClientState::awaiting_greeting) {
    return disconnect(Error(fmt::format("QMP peer did not start with a greeting: '{}'", excerpt(line)), EBADMSG));
  }
  auto* reply = std::get_if<Reply>(&message);
  auto* error = std::get_if<ErrorReply>(&message);
  if (reply == nullptr && error == nullptr) return dispatch_event(std::get<Event>(message));
  if (auto bad = unexpected_reply(reply != nullptr ? reply->id : error->id, line)) return disconnect(std::move(*bad));
  return handle_reply(reply != nullptr ? &reply->value : nullptr, error);
}

bool Client::handle_greeting(Greeting greeting) {
  if (state_ != ClientState::awaiting_greeting) {
    return disconnect(Error("QMP peer sent a second greeting", EBADMSG));
  }
  greeting_ = std::move(greeting);
  state_ = ClientState::negotiating;
  handshake_deadline_ = 0;  // the capabilities timeout takes over
  bool oob = options_.enable_oob && greeting_.has_capability("oob");
  CommandId id = next_id_++;
  Pending& p = pending_[id];
  p.command = "qmp_capabilities";
  if (options_.capabilities_timeout.count() > 0) {
    p.timeout = options_.capabilities_timeout;
    p.deadline = sd::monotonic_usec() + to_usec(p.timeout);
    deadlines_.insert({p.deadline, id});
    arm_timer();
  }
  p.handler = [this, oob](Result<JsonValue> r) {
    if (!r) {
      disconnect(
          Error(fmt::format("QMP capabilities negotiation failed: {}", r.error().message), r.error().errno_value));
      return;
    }
    state_ = ClientState::running;
    oob_enabled_ = oob;
    for (auto& [held, pending] : pending_) start_deadline(held, pending);
    arm_timer();
    flush();
    if (auto ready = on_ready_) ready();
  };
  out_ += command_bytes(p.command, oob ? R"({"enable":["oob"]})" : "");
  mark_written(id);
  flush();
  return true;
}

std::optional<Error> Client::unexpected_reply(const std::optional<JsonValue>& id, std::string_view line) const {
  // Either would shift every later reply onto the wrong command.
  if (id) {
    return Error(fmt::format("QMP peer sent a reply with an id, but no command was sent with one: '{}'", excerpt(line)),
                 EBADMSG);
  }
  if (unanswered_.empty()) {
    return Error(fmt::format("QMP peer sent a reply while no command was waiting for one: '{}'", excerpt(line)),
                 EBADMSG);
  }
  return std::nullopt;
}

bool Client::handle_reply(JsonValue* value, const ErrorReply* error) {
  const CommandId command = unanswered_.front();
  unanswered_.pop_front();
  answered(command);
  auto it = pending_.find(command);
  if (it == pending_.end()) return true;  // cancelled or timed out: the reply is dropped
  Pending& p = it->second;
  if (error != nullptr) {
    Error failed(fmt::format("QMP command '{}' failed: {} ({})", p.command, error->desc, error->error_class),
                 EREMOTEIO);
    failed.code = error->error_class;
    return finish(command, unexpected(std::move(failed)));
  }
  if (!p.until) return finish(command, std::move(*value));
  p.replied = true;
  if (p.event_data) return finish(command, std::move(*p.event_data));
  return true;
}

// ---- events -----------------------------------------------------------------------------------

SubscriptionId Client::subscribe(std::string name, EventFilter filter, EventHandler handler) {
  SubscriptionId id = next_subscription_++;
  subscriptions_.push_back(
      std::make_shared<Subscription>(Subscription{id, std::move(name), std::move(filter), std::move(handler), false}));
  return id;
}

void Client::unsubscribe(SubscriptionId id) {
  for (auto& s : subscriptions_) {
    if (s->id == id) s->removed = true;
  }
  if (dispatching_ == 0) std::erase_if(subscriptions_, [](const auto& s) { return s->removed; });
}

bool Client::match_awaited_events(const Event& event) {
  std::vector<CommandId> done;
  std::vector<std::pair<CommandId, std::string>> failed;
  for (auto& [id, p] : pending_) {
    if (!p.until || p.event_data) continue;
    if (p.until->failure) {
      if (auto why = p.until->failure(event)) {
        // Of several jobs, the call ends when every one has: none is left running behind it.
        if (!p.failure) p.failure = fmt::format("QMP command '{}' failed: {}", p.command, *why);
        if (++p.events_seen >= p.until->count) failed.emplace_back(id, *p.failure);
        continue;
      }
    }
    if (p.until->name != event.name || (p.until->filter && !p.until->filter(event))) continue;
    if (++p.events_seen < p.until->count) continue;
    if (p.failure) {
      failed.emplace_back(id, *p.failure);
      continue;
    }
    p.event_data = event.data;
    if (p.replied) done.push_back(id);
  }
  // Handlers run after the scan: they may change pending_.
  for (CommandId id : done) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    if (!finish(id, take_event_data(it->second.event_data))) return false;
  }
  for (auto& [id, why] : failed) {
    if (pending_.count(id) == 0) continue;
    if (!give_up(id, Error(std::move(why), EIO))) return false;
  }
  return true;
}

bool Client::dispatch_event(const Event& event) {
  state_may_change();
  if (awaiting_events_ > 0 && !match_awaited_events(event)) return false;
  std::weak_ptr<char> alive = alive_;
  ++dispatching_;
  // Subscriptions added by a handler join at the end and see this event too; that is harmless
  // and keeps the loop simple.
  for (std::size_t i = 0; i < subscriptions_.size(); ++i) {
    std::shared_ptr<Subscription> s = subscriptions_[i];
    if (s->removed || (!s->name.empty() && s->name != event.name)) continue;
    if (s->filter && !s->filter(event)) continue;
    s->handler(event);
    if (alive.expired()) return false;
  }
  if (--dispatching_ == 0) std::erase_if(subscriptions_, [](const auto& s) { return s->removed; });
  return true;
}

// ---- the end ----------------------------------------------------------------------------------

bool Client::disconnect(Error reason) {
  if (state_ == ClientState::disconnected) return true;
  state_ = ClientState::disconnected;
  io_.reset();
  timer_.reset();
  flush_.reset();
  fd_.reset();
  queue_.clear();
  out_.clear();
  out_.shrink_to_fit();
  unanswered_.clear();
  fds_in_flight_.reset();
  deadlines_.clear();
  awaiting_events_ = 0;
  std::map<CommandId, Pending> failed = std::move(pending_);
  pending_.clear();
  std::weak_ptr<char> alive = alive_;
  for (auto& [id, p] : failed) {
    if (!p.handler) continue;
    p.handler(
        unexpected(Error(fmt::format("QMP command '{}' failed: {}", p.command, reason.message), reason.errno_value)));
    if (alive.expired()) return false;
  }
  if (auto handler = on_disconnect_) {
    handler(reason);
    if (alive.expired()) return false;
  }
  return true;
}

}  // namespace vmforge::qmp
