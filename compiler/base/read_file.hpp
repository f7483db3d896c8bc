// Reading a whole small file with plain read(2): no iostreams, whose locale set-up costs more
// than reading a manifest does.
#pragma once

#include <string>

#include "compiler/base/result.hpp"

namespace vmforge {

/// The content of `path`; on failure "Failed to open 'PATH': REASON" (or read), errno kept.
Result<std::string> read_file(const std::string& path);

}  // namespace vmforge
