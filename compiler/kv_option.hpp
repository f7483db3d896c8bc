// KvOption: builds the value of a key=value QEMU option (-machine, -chardev, -smp, -m, -numa,
// -global, -drive, -fw_cfg, ...) with every value passed through qemu_escape().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/error.hpp"
#include "compiler/base/result.hpp"

namespace vmforge {

/// Keys are vmforge's own constants and are not escaped; values always are.
///   KvOption("socket").add("id", id).add("path", path).on_off("server", true).str()
class KvOption {
 public:
  KvOption() = default;
  /// A leading positional value, e.g. the backend of -chardev ("socket") or the machine type.
  explicit KvOption(std::string_view head);

  KvOption& add(std::string_view key, std::string_view value);
  KvOption& add(std::string_view key, std::uint64_t value);
  /// key=on / key=off
  KvOption& on_off(std::string_view key, bool on);

  bool empty() const { return text_.empty(); }
  /// The option text, or an Error naming the first value qemu_escape() refused.
  Result<std::string> str() const;

 private:
  void separate();

  std::string text_;
  std::optional<Error> error_;
};

}  // namespace vmforge
