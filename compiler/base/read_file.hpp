// Reading a whole small file with plain read(2): no iostreams, whose locale set-up costs more
// than reading a manifest does.
#pragma once

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge {

/// The content of `path`; on failure "Failed to open 'PATH': REASON" (or read), errno kept.
Result<std::string> read_file(const std::string& path);

/// The whole content of the open file `fd`, from offset 0 whatever its file position (a pipe:
/// what is left in it); `name` says what it is in the error ("Failed to read NAME: REASON").
Result<std::string> read_fd(int fd, std::string_view name);

}  // namespace vmforge
