// JsonValue accessors, serialisation, and parse_json: the one place that includes simdjson.
#include "compiler/base/json_value.hpp"

#include <cerrno>

#include <fmt/format.h>
#include <simdjson.h>

#include "compiler/base/json_writer.hpp"

namespace vmforge {

JsonValue::JsonValue(JsonArray v) : data_(std::move(v)) {}
JsonValue::JsonValue(JsonObject v) : data_(std::move(v)) {}

bool JsonValue::is_number() const {
  Kind k = kind();
  return k == Kind::int64 || k == Kind::uint64 || k == Kind::number;
}

std::optional<bool> JsonValue::as_bool() const {
  if (const bool* b = std::get_if<bool>(&data_)) return *b;
  return std::nullopt;
}

std::optional<std::int64_t> JsonValue::as_int64() const {
  if (const auto* i = std::get_if<std::int64_t>(&data_)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&data_)) {
    if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> JsonValue::as_uint64() const {
  if (const auto* u = std::get_if<std::uint64_t>(&data_)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&data_)) {
    if (*i >= 0) return static_cast<std::uint64_t>(*i);
  }
  return std::nullopt;
}

std::optional<double> JsonValue::as_double() const {
  if (const auto* d = std::get_if<double>(&data_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*u);
  return std::nullopt;
}

std::optional<std::string_view> JsonValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&data_)) return std::string_view(*s);
  return std::nullopt;
}

const JsonArray* JsonValue::as_array() const { return std::get_if<JsonArray>(&data_); }
const JsonObject* JsonValue::as_object() const { return std::get_if<JsonObject>(&data_); }
JsonArray* JsonValue::as_array() { return std::get_if<JsonArray>(&data_); }
JsonObject* JsonValue::as_object() { return std::get_if<JsonObject>(&data_); }

const JsonValue* JsonValue::find(std::string_view key) const {
  const JsonObject* object = as_object();
  if (object == nullptr) return nullptr;
  for (const JsonMember& m : *object) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

const JsonValue* JsonValue::find_path(std::initializer_list<std::string_view> keys) const {
  const JsonValue* at = this;
  for (std::string_view key : keys) {
    at = at->find(key);
    if (at == nullptr) return nullptr;
  }
  return at;
}

std::optional<std::string_view> JsonValue::get_string(std::string_view key) const {
  const JsonValue* v = find(key);
  return v != nullptr ? v->as_string() : std::nullopt;
}

std::optional<std::int64_t> JsonValue::get_int64(std::string_view key) const {
  const JsonValue* v = find(key);
  return v != nullptr ? v->as_int64() : std::nullopt;
}

std::optional<std::uint64_t> JsonValue::get_uint64(std::string_view key) const {
  const JsonValue* v = find(key);
  return v != nullptr ? v->as_uint64() : std::nullopt;
}

std::optional<bool> JsonValue::get_bool(std::string_view key) const {
  const JsonValue* v = find(key);
  return v != nullptr ? v->as_bool() : std::nullopt;
}

namespace {

void write_value(JsonWriter& w, const JsonValue& v) {
  switch (v.kind()) {
    case JsonValue::Kind::null: w.null(); break;
    case JsonValue::Kind::boolean: w.value(*v.as_bool()); break;
    case JsonValue::Kind::int64: w.value(*v.as_int64()); break;
    case JsonValue::Kind::uint64: w.value(*v.as_uint64()); break;
    case JsonValue::Kind::number: w.value(*v.as_double()); break;
    case JsonValue::Kind::string: w.value(*v.as_string()); break;
    case JsonValue::Kind::array:
      w.begin_array();
      for (const JsonValue& item : *v.as_array()) write_value(w, item);
      w.end_array();
      break;
    case JsonValue::Kind::object:
      w.begin_object();
      for (const JsonMember& m : *v.as_object()) {
        w.key(m.key);
        write_value(w, m.value);
      }
      w.end_object();
      break;
  }
}

}  // namespace

std::string JsonValue::to_json() const {
  JsonWriter w;
  write_value(w, *this);
  return w.take();
}

bool operator==(const JsonValue& a, const JsonValue& b) {
  // Numbers compare by value, whichever of int64/uint64/double holds them: 5 and 5.0 are the
  // same JSON number (and JsonWriter writes the double 5.0 as "5").
  if (a.is_number() && b.is_number()) {
    if (a.kind() == JsonValue::Kind::number || b.kind() == JsonValue::Kind::number) {
      return a.as_double() == b.as_double();
    }
    return a.as_int64() == b.as_int64() && a.as_uint64() == b.as_uint64();
  }
  return a.data_ == b.data_;
}

namespace {

// Inputs above this size get a parser of their own, freed afterwards: a simdjson parser keeps
// buffers sized for the largest document it has seen, about 14 bytes per input byte (tape,
// structural indexes, strings). 4 KiB keeps the per-thread parser near 60 KB, well inside a
// supervisor's memory budget, while nearly every QMP reply and event still reuses it.
constexpr std::size_t kSharedParserMaxInput = 4 * 1024;

JsonValue convert(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE: return JsonValue();
    case simdjson::dom::element_type::BOOL: return JsonValue(bool(e.get_bool().value_unsafe()));
    case simdjson::dom::element_type::INT64: return JsonValue(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: return JsonValue(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE: return JsonValue(e.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING: return JsonValue(std::string(e.get_string().value_unsafe()));
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array array = e.get_array().value_unsafe();
      JsonArray items;
      items.reserve(array.size());
      for (simdjson::dom::element item : array) items.push_back(convert(item));
      return JsonValue(std::move(items));
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object = e.get_object().value_unsafe();
      JsonObject members;
      members.reserve(object.size());
      for (simdjson::dom::key_value_pair kv : object) {
        members.push_back(JsonMember{std::string(kv.key), convert(kv.value)});
      }
      return JsonValue(std::move(members));
    }
  }
  return JsonValue();
}

Result<JsonValue> parse_with(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size(), true).get(root)) {
    return unexpected(Error(fmt::format("Failed to parse JSON: {}", simdjson::error_message(error)), EBADMSG));
  }
  return convert(root);
}

}  // namespace

Result<JsonValue> parse_json(std::string_view text) {
  if (text.size() > kSharedParserMaxInput) {
    simdjson::dom::parser parser;
    return parse_with(parser, text);
  }
  thread_local simdjson::dom::parser shared;
  return parse_with(shared, text);
}

}  // namespace vmforge
