// Parsing control requests and rendering replies.
#include "supervisor/core/control_protocol.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"

namespace vmforge::supervisor {
namespace {

Error bad_request(std::string message) { return Error(std::move(message), EBADMSG); }

void add_id(JsonWriter& w, const std::optional<JsonValue>& id) {
  if (id) w.key("id").raw(id->to_json());
}

}  // namespace

Result<ControlRequest> parse_control_request(std::string_view line) {
  auto parsed = parse_json(line);
  if (!parsed) return unexpected(bad_request(fmt::format("Request is not valid JSON: {}", parsed.error().message)));
  if (!parsed->is_object()) return unexpected(bad_request("Request must be a JSON object."));
  ControlRequest request;
  if (const JsonValue* id = parsed->find("id")) request.id = *id;
  const JsonValue* name = parsed->find("request");
  if (name == nullptr) return unexpected(bad_request("Request lacks the member 'request'."));
  if (!name->is_string()) return unexpected(bad_request("Member 'request' must be a string."));
  request.name = std::string(*name->as_string());
  request.body = std::move(*parsed);
  return request;
}

std::string control_return(const std::optional<JsonValue>& id, std::string_view return_json) {
  JsonWriter w;
  w.begin_object().key("return").raw(return_json);
  add_id(w, id);
  w.end_object();
  return w.take();
}

std::string control_error(const std::optional<JsonValue>& id, std::string_view error_class, std::string_view desc) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().field("class", error_class).field("desc", desc).end_object();
  add_id(w, id);
  w.end_object();
  return w.take();
}

}  // namespace vmforge::supervisor
