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

/// Values are always escaped. Keys are vmforge's constants or validated manifest names; a key
/// outside [A-Za-z0-9_.-] is refused all the same, so no key can smuggle in an option.
///   KvOption("socket").add("id", id).add("path", path).on_off("server", true).str()
class KvOption {
 public:
  KvOption() = default;
  /// A leading positional value, e.g. the backend of -chardev ("socket") or the machine type.
  explicit KvOption(std::string_view head);

  /// A bare item after the head, e.g. a CPU feature "+avx2" (escaped like a value).
  KvOption& item(std::string_view value);
  KvOption& add(std::string_view key, std::string_view value);
  KvOption& add(std::string_view key, std::uint64_t value);
  /// key=on / key=off
  KvOption& on_off(std::string_view key, bool on);

  bool empty() const { return text_.empty(); }
  /// The option text, or an Error naming the first value qemu_escape() refused.
  Result<std::string> str() const;

 private:
  void separate();
  void fail(Error error);
  bool key_ok(std::string_view key);

  std::string text_;
  std::optional<Error> error_;
};

}  // namespace vmforge
