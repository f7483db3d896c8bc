// BlockingClient: a private EventLoop pumped until a reply, an event or a deadline arrives.
#include "supervisor/qmp/blocking_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "supervisor/sd/event_loop.hpp"

namespace vmforge::qmp {

using sd::monotonic_usec;

struct BlockingClient::Impl {
  explicit Impl(sd::EventLoop l) : loop(std::move(l)) {}

  // Runs the loop until `done()` or `deadline` (CLOCK_MONOTONIC usec, 0 = none). False when
  // the deadline passed first.
  Result<bool> run_until(const std::function<bool()>& done, std::uint64_t deadline) {
    while (!done()) {
      std::uint64_t now = monotonic_usec();
      if (deadline != 0 && now >= deadline) return false;
      std::chrono::microseconds wait =
          deadline == 0 ? std::chrono::microseconds(UINT64_MAX >> 1) : std::chrono::microseconds(deadline - now);
      VMFORGE_TRY(bool running, loop.run_once(wait));
      if (!running) return unexpected(Error("QMP event loop ended unexpectedly", EPIPE));
    }
    return true;
  }

  // Runs the loop until the submitted command's handler has filled `outcome`. The client
  // guarantees the handler runs (reply, timeout or disconnect), so no deadline is needed here.
  Result<JsonValue> await(Result<CommandId> submitted, std::optional<Result<JsonValue>>& outcome) {
    VMFORGE_TRY_VOID(submitted);
    VMFORGE_TRY_VOID(run_until([&outcome] { return outcome.has_value(); }, 0));
    return std::move(*outcome);
  }

  std::optional<Event> take_match(std::string_view name, const EventFilter& filter, std::size_t from) {
    for (std::size_t i = from; i < events.size(); ++i) {
      if ((name.empty() || events[i].name == name) && (!filter || filter(events[i]))) {
        Event e = std::move(events[i]);
        events.erase(events.begin() + static_cast<std::ptrdiff_t>(i));
        return e;
      }
    }
    return std::nullopt;
  }

  sd::EventLoop loop;
  std::unique_ptr<Client> client;
  std::deque<Event> events;
  std::optional<Error> closed;
};

BlockingClient::BlockingClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlockingClient::BlockingClient(BlockingClient&&) noexcept = default;
BlockingClient& BlockingClient::operator=(BlockingClient&&) noexcept = default;
BlockingClient::~BlockingClient() = default;

Result<UniqueFd> connect_unix(std::string_view path, bool nonblocking) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return unexpected(
        Error(fmt::format("Socket path '{}' is empty or longer than {} bytes", path, sizeof(addr.sun_path) - 1),
              ENAMETOOLONG));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd) return unexpected(errno_error("Failed to create a unix socket"));
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) {
    return unexpected(errno_error(fmt::format("Failed to connect to '{}'", path)));
  }
  return fd;
}

Result<BlockingClient> BlockingClient::connect(std::string_view path, ClientOptions options) {
  VMFORGE_TRY(UniqueFd fd, connect_unix(path));
  return attach(std::move(fd), options);
}

Result<BlockingClient> BlockingClient::attach(UniqueFd fd, ClientOptions options) {
  VMFORGE_TRY(sd::EventLoop loop, sd::EventLoop::create());
  auto impl = std::make_unique<Impl>(std::move(loop));
  VMFORGE_TRY(impl->client, Client::attach(impl->loop.get(), std::move(fd), options));
  Impl* state = impl.get();
  state->client->subscribe({}, {}, [state](const Event& e) { state->events.push_back(e); });
  state->client->on_disconnect([state](const Error& reason) { state->closed = reason; });
  VMFORGE_TRY_VOID(
      state->run_until([state] { return state->client->state() == ClientState::running || state->closed; }, 0));
  if (state->closed) return unexpected(*state->closed);
  return BlockingClient(std::move(impl));
}

const Greeting& BlockingClient::greeting() const { return impl_->client->greeting(); }

bool BlockingClient::connected() const { return impl_->client->state() != ClientState::disconnected; }

Client& BlockingClient::async() { return *impl_->client; }

Result<JsonValue> BlockingClient::execute(std::string_view command, std::string_view arguments_json, Timeout timeout,
                                          std::span<const int> fds) {
  std::optional<Result<JsonValue>> outcome;
  auto submitted = impl_->client->execute(
      command, arguments_json, timeout, [&outcome](Result<JsonValue> r) { outcome = std::move(r); }, fds);
  return impl_->await(std::move(submitted), outcome);
}

Result<JsonValue> BlockingClient::execute_until(std::string_view command, std::string_view arguments_json,
                                                EventMatch until, Timeout timeout, std::span<const int> fds) {
  std::optional<Result<JsonValue>> outcome;
  auto submitted = impl_->client->execute_until(
      command, arguments_json, std::move(until), timeout, [&outcome](Result<JsonValue> r) { outcome = std::move(r); },
      fds);
  return impl_->await(std::move(submitted), outcome);
}

Result<JsonValue> BlockingClient::execute(const QmpCall& call, Timeout timeout, std::span<const int> fds) {
  std::optional<Result<JsonValue>> outcome;
  auto submitted = impl_->client->execute(
      call, timeout, [&outcome](Result<JsonValue> r) { outcome = std::move(r); }, fds);
  return impl_->await(std::move(submitted), outcome);
}

Result<Event> BlockingClient::wait_event(std::string_view name, const EventFilter& filter, Timeout timeout) {
  if (auto found = impl_->take_match(name, filter, 0)) return std::move(*found);
  std::uint64_t deadline = monotonic_usec() + static_cast<std::uint64_t>(timeout.count()) * 1000u;
  std::optional<Event> found;
  std::size_t seen = impl_->events.size();
  Impl* state = impl_.get();
  VMFORGE_TRY(bool in_time, state->run_until(
                                [&] {
                                  if (state->events.size() > seen) {
                                    found = state->take_match(name, filter, seen);
                                    seen = state->events.size();
                                  }
                                  return found.has_value() || state->closed.has_value();
                                },
                                deadline));
  if (found) return std::move(*found);
  std::string what = name.empty() ? std::string("QMP event") : fmt::format("QMP event '{}'", name);
  if (!in_time) {
    return unexpected(Error(fmt::format("No {} arrived within {} ms", what, timeout.count()), ETIMEDOUT));
  }
  return unexpected(Error(fmt::format("Connection closed while waiting for {}: {}", what, state->closed->message),
                          state->closed->errno_value));
}

Result<bool> BlockingClient::pump(const std::function<bool()>& done, Timeout timeout) {
  return impl_->run_until(done, monotonic_usec() + static_cast<std::uint64_t>(timeout.count()) * 1000u);
}

std::vector<Event> BlockingClient::take_events() {
  std::vector<Event> out(std::make_move_iterator(impl_->events.begin()), std::make_move_iterator(impl_->events.end()));
  impl_->events.clear();
  return out;
}

}  // namespace vmforge::qmp
