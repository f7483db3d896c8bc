// ReplyReader: reads members of a QMP reply into typed structs, remembering the first missing
// or mistyped member so a parser can check once at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"

namespace vmforge::qmp {

/// The error for a reply that does not have the shape QEMU 7.2 documents (EPROTO).
Error unexpected_reply(std::string_view command, std::string_view what);

class ReplyReader {
 public:
  /// `command` names the reply in errors; `object` is the value to read (must outlive this).
  ReplyReader(std::string_view command, const JsonValue& object);
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  std::string string(std::string_view key);
  std::int64_t int64(std::string_view key);
  std::uint64_t uint64(std::string_view key);
  bool boolean(std::string_view key);
  /// Absent is fine; present with the wrong type is an error.
  std::optional<std::string> opt_string(std::string_view key);
  std::optional<std::int64_t> opt_int64(std::string_view key);
  std::optional<std::uint64_t> opt_uint64(std::string_view key);
  std::optional<bool> opt_boolean(std::string_view key);
  /// A reader for the object member `key` whose errors count as this reader's. An absent
  /// optional member reads as an empty object.
  ReplyReader child(std::string_view key, bool required = true);

  /// `value` if every read (children included) succeeded, else the first error (EPROTO).
  template <class T>
  Result<T> finish(T value) {
    if (*error_) return unexpected(**error_);
    return value;
  }

 private:
  ReplyReader(std::string_view command, const JsonValue& object, std::optional<Error>* error);
  const JsonValue* get(std::string_view key, bool required, std::string_view type);

  std::string_view command_;
  const JsonValue& object_;
  std::optional<Error> own_error_;
  std::optional<Error>* error_;  // the root reader's
};

/// Reads each element of `array` (an array reply of `command`) with `read`.
template <class T, class F>
Result<std::vector<T>> read_array(std::string_view command, const JsonValue& array, F read) {
  const JsonArray* items = array.as_array();
  if (items == nullptr) return unexpected(unexpected_reply(command, "not an array"));
  std::vector<T> out;
  out.reserve(items->size());
  for (const JsonValue& item : *items) {
    ReplyReader r(command, item);
    T value = read(r);
    VMFORGE_TRY(T checked, r.finish(std::move(value)));
    out.push_back(std::move(checked));
  }
  return out;
}

}  // namespace vmforge::qmp
