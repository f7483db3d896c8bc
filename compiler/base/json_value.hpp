// JsonValue: an owned JSON document tree, and parse_json() that builds one (simdjson underneath).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "compiler/base/result.hpp"

namespace vmforge {

class JsonValue;

/// One member of a JSON object; objects keep their members in document order.
struct JsonMember;

using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<JsonMember>;

/// A JSON value that owns all of its data (no views into the parsed text). Integers keep their
/// exact value: negative ones as int64, those above INT64_MAX as uint64; fractions or exponents
/// make a double. Lookups never fail loudly: a missing key or a wrong type gives nullptr or
/// std::nullopt, so callers decide what is an error.
class JsonValue {
 public:
  enum class Kind { null, boolean, int64, uint64, number, string, array, object };

  // Defined below JsonMember: the members need it complete.
  JsonValue();
  explicit JsonValue(std::nullptr_t);
  explicit JsonValue(bool v);
  explicit JsonValue(std::int64_t v);
  explicit JsonValue(std::uint64_t v);
  explicit JsonValue(double v);
  explicit JsonValue(std::string v);
  explicit JsonValue(JsonArray v);
  explicit JsonValue(JsonObject v);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  /// int64, uint64 or double.
  bool is_number() const;
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  std::optional<bool> as_bool() const;
  /// The integer if it is one and fits (a uint64 above INT64_MAX does not); doubles never do.
  std::optional<std::int64_t> as_int64() const;
  /// The integer if it is one and is not negative.
  std::optional<std::uint64_t> as_uint64() const;
  /// Any number, converted to double.
  std::optional<double> as_double() const;
  /// A view into this value's string; valid while this value lives unchanged.
  std::optional<std::string_view> as_string() const;
  /// nullptr unless this is an array / object.
  const JsonArray* as_array() const;
  const JsonObject* as_object() const;
  JsonArray* as_array();
  JsonObject* as_object();

  /// The first member named `key` of an object; nullptr if absent or if this is not an object.
  const JsonValue* find(std::string_view key) const;
  /// Follows object keys in turn: find_path({"data", "device"}).
  const JsonValue* find_path(std::initializer_list<std::string_view> keys) const;
  /// Shorthands for find(key) followed by the typed accessor.
  std::optional<std::string_view> get_string(std::string_view key) const;
  std::optional<std::int64_t> get_int64(std::string_view key) const;
  std::optional<std::uint64_t> get_uint64(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;

  /// Compact JSON text; parse_json(v.to_json()) == v.
  std::string to_json() const;

  /// Structural equality; numbers are equal when their values are (5 == 5.0).
  friend bool operator==(const JsonValue& a, const JsonValue& b);

 private:
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, JsonArray, JsonObject> data_;
};

struct JsonMember {
  std::string key;
  JsonValue value;

  friend bool operator==(const JsonMember&, const JsonMember&) = default;
};

inline JsonValue::JsonValue() = default;
inline JsonValue::JsonValue(std::nullptr_t) {}
inline JsonValue::JsonValue(bool v) : data_(v) {}
inline JsonValue::JsonValue(std::int64_t v) : data_(v) {}
inline JsonValue::JsonValue(std::uint64_t v) : data_(v) {}
inline JsonValue::JsonValue(double v) : data_(v) {}
inline JsonValue::JsonValue(std::string v) : data_(std::move(v)) {}

/// Parses one complete JSON text (RFC 8259, UTF-8 validated, nesting depth up to 1024).
/// Errors (EBADMSG) name what was wrong: "Failed to parse JSON: <simdjson's reason>".
/// Large inputs use a temporary parser so the per-thread parser stays small.
Result<JsonValue> parse_json(std::string_view text);

}  // namespace vmforge
