// parse_message: strict shape checks of QMP server messages; anything else is an error.
#include "supervisor/qmp/message.hpp"

#include <cerrno>

#include <fmt/format.h>

namespace vmforge::qmp {
namespace {

Error bad(std::string_view what) { return Error(std::string(what), EBADMSG); }

std::optional<JsonValue> take_id(JsonObject& object) {
  for (JsonMember& m : object) {
    if (m.key == "id") return std::move(m.value);
  }
  return std::nullopt;
}

JsonValue* member(JsonObject& object, std::string_view key) {
  for (JsonMember& m : object) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

Result<Message> greeting_from(const JsonValue& qmp) {
  const JsonValue* qemu = qmp.find_path({"version", "qemu"});
  if (qemu == nullptr || !qemu->is_object()) return unexpected(bad("greeting lacks 'version.qemu'"));
  Greeting g;
  auto major = qemu->get_int64("major");
  auto minor = qemu->get_int64("minor");
  auto micro = qemu->get_int64("micro");
  if (!major || !minor || !micro) {
    return unexpected(bad("greeting's 'version.qemu' lacks integer 'major', 'minor' or 'micro'"));
  }
  g.major = *major;
  g.minor = *minor;
  g.micro = *micro;
  if (const JsonValue* package = qmp.find_path({"version", "package"})) {
    if (!package->is_string()) return unexpected(bad("greeting's 'version.package' is not a string"));
    g.package = std::string(*package->as_string());
  }
  const JsonValue* caps = qmp.find("capabilities");
  if (caps == nullptr || !caps->is_array()) return unexpected(bad("greeting lacks 'capabilities' array"));
  for (const JsonValue& cap : *caps->as_array()) {
    auto name = cap.as_string();
    if (!name) return unexpected(bad("greeting's 'capabilities' holds a non-string"));
    g.capabilities.emplace_back(*name);
  }
  return Message(std::move(g));
}

Result<Message> error_from(JsonObject& object, const JsonValue& error) {
  if (!error.is_object()) return unexpected(bad("'error' is not an object"));
  auto error_class = error.get_string("class");
  auto desc = error.get_string("desc");
  if (!error_class) return unexpected(bad("'error' lacks string 'class'"));
  if (!desc) return unexpected(bad("'error' lacks string 'desc'"));
  return Message(ErrorReply{take_id(object), std::string(*error_class), std::string(*desc)});
}

Result<Message> event_from(JsonObject& object, const JsonValue& name) {
  auto event_name = name.as_string();
  if (!event_name || event_name->empty()) return unexpected(bad("'event' is not a non-empty string"));
  Event e;
  e.name = std::string(*event_name);
  if (JsonValue* data = member(object, "data")) {
    if (!data->is_object()) return unexpected(bad("event 'data' is not an object"));
    e.data = std::move(*data);
  }
  if (const JsonValue* ts = member(object, "timestamp")) {
    auto seconds = ts->get_int64("seconds");
    auto micro = ts->get_int64("microseconds");
    if (!seconds || !micro) return unexpected(bad("event 'timestamp' lacks integer 'seconds' or 'microseconds'"));
    e.seconds = *seconds;
    e.microseconds = *micro;
  }
  return Message(std::move(e));
}

}  // namespace

bool Greeting::has_capability(std::string_view name) const {
  for (const std::string& c : capabilities) {
    if (c == name) return true;
  }
  return false;
}

Result<Message> message_from_json(JsonValue value) {
  JsonObject* object = value.as_object();
  if (object == nullptr) return unexpected(bad("not a JSON object"));
  JsonValue* qmp = member(*object, "QMP");
  JsonValue* ret = member(*object, "return");
  JsonValue* error = member(*object, "error");
  JsonValue* event = member(*object, "event");
  int kinds = (qmp != nullptr) + (ret != nullptr) + (error != nullptr) + (event != nullptr);
  if (kinds == 0) return unexpected(bad("none of 'QMP', 'return', 'error' or 'event'"));
  if (kinds > 1) return unexpected(bad("more than one of 'QMP', 'return', 'error' and 'event'"));
  if (qmp != nullptr) {
    if (!qmp->is_object()) return unexpected(bad("'QMP' is not an object"));
    return greeting_from(*qmp);
  }
  if (ret != nullptr) {
    JsonValue result = std::move(*ret);
    return Message(Reply{take_id(*object), std::move(result)});
  }
  if (error != nullptr) return error_from(*object, *error);
  return event_from(*object, *event);
}

Result<Message> parse_message(std::string_view line) {
  VMFORGE_TRY(JsonValue value, parse_json(line));
  return message_from_json(std::move(value));
}

std::string excerpt(std::string_view text, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max) {
      out += "…";
      break;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace vmforge::qmp
