// The control socket's wire format: one JSON object per line each way.
//   request:  {"request": "status", "id": ANY?, ...request-specific members}
//   reply:    {"return": VALUE, "id": ANY?}  or  {"error": {"class": C, "desc": D}, "id": ANY?}
//   stream:   {"event": NAME, "source": "qmp"|"supervisor", "data": {...}, "timestamp": ...}
// The id, when given, is echoed verbatim so a client can match replies to requests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// Error classes of control replies (QMP errors passed through keep QEMU's class).
inline constexpr std::string_view kInvalidRequest = "InvalidRequest";
inline constexpr std::string_view kUnknownRequest = "UnknownRequest";
inline constexpr std::string_view kUnavailable = "Unavailable";
inline constexpr std::string_view kFailed = "Failed";

struct ControlRequest {
  std::string name;             // the "request" member
  std::optional<JsonValue> id;  // echoed in the reply
  JsonValue body;               // the whole object, for request-specific members
};

/// Parses one request line. Errors (EBADMSG) are phrased for the client: "Request is not
/// valid JSON: …", "Request must be a JSON object.", "Request lacks the member 'request'.".
Result<ControlRequest> parse_control_request(std::string_view line);

/// A reply line (without the newline) carrying `return_json` (already-serialised JSON).
std::string control_return(const std::optional<JsonValue>& id, std::string_view return_json);
/// An error reply line.
std::string control_error(const std::optional<JsonValue>& id, std::string_view error_class, std::string_view desc);

}  // namespace vmforge::supervisor
