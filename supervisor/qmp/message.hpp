// QMP server messages: one line from QEMU -> Greeting, Reply, ErrorReply or Event (owned values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"

namespace vmforge::qmp {

/// `{"QMP": {"version": {"qemu": {"major":7,"minor":2,"micro":0}, "package": …}, "capabilities": […]}}`
struct Greeting {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::int64_t micro = 0;
  std::string package;
  std::vector<std::string> capabilities;

  bool has_capability(std::string_view name) const;
};

/// `{"return": …, "id": …}`. `id` is absent for replies to commands sent without one.
struct Reply {
  std::optional<JsonValue> id;
  JsonValue value;
};

/// `{"error": {"class": …, "desc": …}, "id": …}`. QEMU leaves out the id when it could not
/// parse the command far enough to read it.
struct ErrorReply {
  std::optional<JsonValue> id;
  std::string error_class;
  std::string desc;
};

/// `{"event": …, "data": …, "timestamp": {"seconds": …, "microseconds": …}}`. `data` is null
/// when QEMU sends none (STOP, RESUME, POWERDOWN).
struct Event {
  std::string name;
  JsonValue data;
  std::int64_t seconds = 0;
  std::int64_t microseconds = 0;
};

using Message = std::variant<Greeting, Reply, ErrorReply, Event>;

/// Parses one line. Errors (EBADMSG) say what is wrong with it in one phrase, e.g.
/// "not a JSON object" or "'error' lacks 'class'"; the caller adds context.
Result<Message> parse_message(std::string_view line);
/// The same for an already-parsed value (consumed).
Result<Message> message_from_json(JsonValue value);

/// At most `max` bytes of `text` for an error message, with non-printable bytes as \xNN and
/// "…" when cut.
std::string excerpt(std::string_view text, std::size_t max = 80);

}  // namespace vmforge::qmp
