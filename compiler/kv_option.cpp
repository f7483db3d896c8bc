// KvOption: key=value option text with escaped values.
#include "compiler/kv_option.hpp"

#include <fmt/format.h>

#include "compiler/qemu_escape.hpp"

namespace vmforge {

KvOption::KvOption(std::string_view head) {
  auto escaped = qemu_escape(head);
  if (escaped) {
    text_ = *escaped;
  } else {
    error_ = Error(fmt::format("'{}' {}", head, escaped.error().message));
  }
}

void KvOption::separate() {
  if (!text_.empty()) text_ += ',';
}

KvOption& KvOption::add(std::string_view key, std::string_view value) {
  auto escaped = qemu_escape(value);
  if (!escaped) {
    if (!error_) error_ = Error(fmt::format("value of '{}' {}", key, escaped.error().message));
    return *this;
  }
  separate();
  text_ += key;
  text_ += '=';
  text_ += *escaped;
  return *this;
}

KvOption& KvOption::add(std::string_view key, std::uint64_t value) {
  separate();
  text_ += fmt::format("{}={}", key, value);
  return *this;
}

KvOption& KvOption::on_off(std::string_view key, bool on) {
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
