// qemu_escape: the one way a user string enters a key=value QEMU option.
#pragma once

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge {

/// Doubles every ',' so QEMU's option parser reads `text` as one value. NUL and newline
/// cannot be represented in an argv element QEMU parses, so they are an error; the message
/// names the offending character (callers add the manifest position).
Result<std::string> qemu_escape(std::string_view text);

/// True when `text` contains a character qemu_escape() rejects.
bool has_unescapable_char(std::string_view text);

}  // namespace vmforge
