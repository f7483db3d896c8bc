// Crash-safe file replacement: readers see the old content or the new, never a mix.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// Replaces `path` with `content`: writes a temporary file in the same directory, fsyncs it,
/// renames it over `path`, then fsyncs the directory so the rename itself is durable.
/// On failure `path` is untouched and the temporary file is removed.
Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0600);

/// Reads a whole (small) file.
Result<std::string> read_file(const std::string& path);

}  // namespace vmforge::supervisor
