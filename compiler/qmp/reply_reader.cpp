// ReplyReader: typed member access with one remembered error.
#include "compiler/qmp/reply_reader.hpp"

#include <cerrno>

#include <fmt/format.h>

namespace vmforge::qmp {
namespace {

const JsonValue& empty_object() {
  static const JsonValue kEmpty{JsonObject{}};
  return kEmpty;
}

}  // namespace

Error unexpected_reply(std::string_view command, std::string_view what) {
  return Error(fmt::format("Unexpected reply to QMP command '{}': {}", command, what), EPROTO);
}

ReplyReader::ReplyReader(std::string_view command, const JsonValue& object) : ReplyReader(command, object, nullptr) {}

ReplyReader::ReplyReader(std::string_view command, const JsonValue& object, std::optional<Error>* error)
    : command_(command), object_(object), error_(error != nullptr ? error : &own_error_) {
  if (!*error_ && !object.is_object()) *error_ = unexpected_reply(command, "not an object");
}

const JsonValue* ReplyReader::get(std::string_view key, bool required, std::string_view type) {
  if (*error_) return nullptr;
  const JsonValue* v = object_.find(key);
  if (v == nullptr && required) *error_ = unexpected_reply(command_, fmt::format("lacks '{}'", key));
  if (v != nullptr && v->is_null()) return nullptr;
  if (v == nullptr) return nullptr;
  bool typed = (type == "string" && v->is_string()) || (type == "integer" && (v->as_int64() || v->as_uint64())) ||
               (type == "boolean" && v->is_bool()) || (type == "object" && v->is_object());
  if (!typed) {
    *error_ = unexpected_reply(command_, fmt::format("'{}' is not {} {}", key, type == "integer" ? "an" : "a", type));
    return nullptr;
  }
  return v;
}

std::string ReplyReader::string(std::string_view key) {
  const JsonValue* v = get(key, true, "string");
  return v ? std::string(*v->as_string()) : std::string();
}

std::int64_t ReplyReader::int64(std::string_view key) {
  const JsonValue* v = get(key, true, "integer");
  return v ? v->as_int64().value_or(0) : 0;
}

std::uint64_t ReplyReader::uint64(std::string_view key) {
  const JsonValue* v = get(key, true, "integer");
  return v ? v->as_uint64().value_or(0) : 0;
}

bool ReplyReader::boolean(std::string_view key) {
  const JsonValue* v = get(key, true, "boolean");
  return v ? *v->as_bool() : false;
}

std::optional<std::string> ReplyReader::opt_string(std::string_view key) {
  const JsonValue* v = get(key, false, "string");
  return v ? std::optional<std::string>(std::string(*v->as_string())) : std::nullopt;
}

std::optional<std::int64_t> ReplyReader::opt_int64(std::string_view key) {
  const JsonValue* v = get(key, false, "integer");
  return v ? v->as_int64() : std::nullopt;
}

std::optional<std::uint64_t> ReplyReader::opt_uint64(std::string_view key) {
  const JsonValue* v = get(key, false, "integer");
  return v ? v->as_uint64() : std::nullopt;
}

std::optional<bool> ReplyReader::opt_boolean(std::string_view key) {
  const JsonValue* v = get(key, false, "boolean");
  return v ? v->as_bool() : std::nullopt;
}

ReplyReader ReplyReader::child(std::string_view key, bool required) {
  const JsonValue* v = get(key, required, "object");
  return ReplyReader(command_, v ? *v : empty_object(), error_);
}

}  // namespace vmforge::qmp
