// Arguments: builds a QMP command's argument object member by member, for the typed builders
// (ops_*.hpp) and the lowering.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_writer.hpp"

namespace vmforge::qmp {

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
  Arguments& set_if(std::string_view key, std::string_view value) { return value.empty() ? *this : set(key, value); }
  template <class T>
  Arguments& set_if(std::string_view key, const std::optional<T>& value) {
    return value ? set(key, *value) : *this;
  }

  /// The writer underneath, for members a shared JsonWriter function writes (a device's
  /// placement, which the argv's -device objects have too).
  JsonWriter& writer() { return w_; }

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

}  // namespace vmforge::qmp
