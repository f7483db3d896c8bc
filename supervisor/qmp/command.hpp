// Command: one QMP call as data ({name, arguments, completion event}), built by the typed
// operations and sent the same way by the async Client and the BlockingClient.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/qmp/client.hpp"

namespace vmforge::qmp {

struct Command {
  std::string name;
  /// A JSON object's text; empty when the command takes no arguments.
  std::string arguments;
  /// The event that completes the command (DEVICE_DELETED for device_del), if any.
  std::optional<EventMatch> until;
};

/// Builds an argument object member by member. The `_if` forms leave a member out when the
/// value is empty / unset, which is how QMP says "use the default".
class Arguments {
 public:
  Arguments() { w_.begin_object(); }

  Arguments& set(std::string_view key, std::string_view value) { return field(key, value); }
  Arguments& set(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  Arguments& set(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
  Arguments& set(std::string_view key, bool value) { return field(key, value); }
  Arguments& set(std::string_view key, std::int64_t value) { return field(key, value); }
  Arguments& set(std::string_view key, std::uint64_t value) { return field(key, value); }
  Arguments& set(std::string_view key, int value) { return field(key, static_cast<std::int64_t>(value)); }
  Arguments& set(std::string_view key, unsigned value) { return field(key, static_cast<std::uint64_t>(value)); }
  /// Inserts serialised JSON (an object or array built elsewhere).
  Arguments& set_json(std::string_view key, std::string_view json) {
    w_.key(key).raw(json);
    return *this;
  }
  Arguments& set_if(std::string_view key, std::string_view value) {
    return value.empty() ? *this : set(key, value);
  }
  template <class T>
  Arguments& set_if(std::string_view key, const std::optional<T>& value) {
    return value ? set(key, *value) : *this;
  }

  std::string take() {
    w_.end_object();
    return w_.take();
  }

 private:
  template <class V>
  Arguments& field(std::string_view key, const V& value) {
    w_.field(key, value);
    return *this;
  }

  JsonWriter w_;
};

/// Sends `command` on the async client (execute or execute_until).
Result<CommandId> send(Client& client, const Command& command, Timeout timeout, ReplyHandler handler,
                       std::span<const int> fds = {});

/// Runs `command` to completion: its reply, or its completion event's data.
Result<JsonValue> run(BlockingClient& client, const Command& command, Timeout timeout = kDefaultTimeout,
                      std::span<const int> fds = {});
/// run() for commands whose value does not matter.
Result<void> run_void(BlockingClient& client, const Command& command, Timeout timeout = kDefaultTimeout,
                      std::span<const int> fds = {});

/// Sends `command` and hands its reply, parsed by `parse`, to `handler`.
template <class T>
Result<CommandId> send_typed(Client& client, const Command& command, Timeout timeout,
                             Result<T> (*parse)(const JsonValue&), std::function<void(Result<T>)> handler) {
  return send(client, command, timeout, [parse, handler = std::move(handler)](Result<JsonValue> reply) {
    if (!reply) return handler(unexpected(std::move(reply).error()));
    handler(parse(*reply));
  });
}

/// Runs `command` and parses its reply with `parse`.
template <class T>
Result<T> run_typed(BlockingClient& client, const Command& command, Timeout timeout,
                    Result<T> (*parse)(const JsonValue&)) {
  VMFORGE_TRY(JsonValue reply, run(client, command, timeout));
  return parse(reply);
}

}  // namespace vmforge::qmp
