// KvOption: key=value option text with escaped values.
#include "compiler/lower/kv_option.hpp"

#include <fmt/format.h>

#include "compiler/lower/qemu_escape.hpp"

namespace vmforge {

KvOption::KvOption(std::string_view head) { item(head); }

void KvOption::separate() {
  if (!text_.empty()) text_ += ',';
}

void KvOption::fail(Error error) {
  if (!error_) error_ = std::move(error);
}

bool KvOption::key_ok(std::string_view key) {
  bool ok = !key.empty();
  for (char c : key) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                c == '-');
  }
  if (!ok) fail(Error(fmt::format("'{}' is not a valid option name", key)));
  return ok;
}

KvOption& KvOption::item(std::string_view value) {
  auto escaped = qemu_escape(value);
  if (!escaped) {
    fail(Error(fmt::format("'{}' {}", value, escaped.error().message)));
    return *this;
  }
  separate();
  text_ += *escaped;
  return *this;
}

KvOption& KvOption::add(std::string_view key, std::string_view value) {
  if (!key_ok(key)) return *this;
  auto escaped = qemu_escape(value);
  if (!escaped) {
    fail(Error(fmt::format("value of '{}' {}", key, escaped.error().message)));
    return *this;
  }
  separate();
  text_ += key;
  text_ += '=';
  text_ += *escaped;
  return *this;
}

KvOption& KvOption::add(std::string_view key, std::uint64_t value) {
  if (!key_ok(key)) return *this;
  separate();
  text_ += fmt::format("{}={}", key, value);
  return *this;
}

KvOption& KvOption::on_off(std::string_view key, bool on) {
  if (!key_ok(key)) return *this;
  separate();
  text_ += key;
  text_ += on ? "=on" : "=off";
  return *this;
}

Result<std::string> KvOption::str() const {
  if (error_) return unexpected(*error_);
  return text_;
}

}  // namespace vmforge
