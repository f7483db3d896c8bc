// JsonWriter: a small streaming JSON emitter (simdjson only reads). Used for QMP commands,
// plan output and every other JSON vmforge prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vmforge {

/// Appends `text` to `out` as a JSON string literal (quotes included). Control characters,
/// quotes and backslashes are escaped; bytes >= 0x80 are copied (callers pass valid UTF-8).
void append_json_string(std::string& out, std::string_view text);

/// `"text"` with JSON escaping.
std::string json_quote(std::string_view text);

/// Builds compact JSON. Commas and key/value separators are inserted automatically:
///   JsonWriter w; w.begin_object(); w.key("id"); w.value("vd0"); w.end_object();
/// Misuse (a value where a key is required, unbalanced ends) is a programming error (assert).
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(unsigned number) { return value(static_cast<std::uint64_t>(number)); }
  JsonWriter& value(double number);
  JsonWriter& null();
  /// Inserts already-serialised JSON (e.g. a plan step's arguments) as one value.
  JsonWriter& raw(std::string_view json);

  /// Shorthand for key(name).value(v).
  template <class V>
  JsonWriter& field(std::string_view name, const V& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  /// A container's bracket, opening or closing it (objects and arrays nest the same way).
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);

  std::string out_;
  // One entry per open container: true once it has a member (a comma is due).
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

}  // namespace vmforge
