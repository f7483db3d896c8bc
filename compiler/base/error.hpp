// Error: the error type of operations that are not manifest diagnostics (I/O, QMP, processes).
#pragma once

#include <string>
#include <utility>

namespace vmforge {

struct Error {
  /// A full sentence in systemd's wording: what failed, with user strings quoted.
  std::string message;
  /// The errno behind it (positive), or 0 when there is none.
  int errno_value = 0;
  /// A machine-readable class from the peer that refused (QMP's error "class"), or empty.
  std::string code;

  Error() = default;
  explicit Error(std::string msg, int err = 0) : message(std::move(msg)), errno_value(err) {}
};

}  // namespace vmforge
