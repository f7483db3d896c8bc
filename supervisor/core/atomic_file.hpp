// Crash-safe file replacement: readers see the old content or the new, never a mix.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// How far a replacement must get before write_file_atomic() returns.
enum class Durability {
  /// On disk, rename included: survives a power loss (the last applied manifest).
  durable,
  /// Seen whole by every reader, but may be lost with the machine: for runtime files that
  /// describe live processes (pidfile, seed image), which a power loss makes stale anyway.
  visible,
};

/// Replaces `path` with `content`: writes a temporary file in the same directory and renames
/// it over `path`; `durable` fsyncs the file first and the directory after.
/// On failure `path` is untouched and the temporary file is removed.
Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0600,
                               Durability durability = Durability::durable);

}  // namespace vmforge::supervisor
