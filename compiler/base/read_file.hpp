// Reading a whole small file with plain read(2): no iostreams, whose locale set-up costs more
// than reading a manifest does. Only regular files and pipes (`<(...)`) are read, never more
// than a limit: /dev/zero or a named FIFO handed as a manifest must fail, not hang or exhaust
// memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge {

/// What read_file() reads at most unless told otherwise (cloud-init data, small state files).
inline constexpr std::size_t kMaxReadFile = std::size_t{16} << 20;

/// The content of `path`; on failure "Failed to open 'PATH': REASON" (or read), errno kept.
/// Refused without blocking: directories (EISDIR), devices, sockets and named FIFOs (EINVAL),
/// content beyond `max_bytes` (EFBIG). A pipe is read until its writer closes it.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes = kMaxReadFile);

/// The whole content of the open file `fd`, from offset 0 whatever its file position (a pipe:
/// what is left in it); `name` says what it is in the error ("Failed to read NAME: REASON").
Result<std::string> read_fd(int fd, std::string_view name, std::size_t max_bytes = kMaxReadFile);

}  // namespace vmforge
