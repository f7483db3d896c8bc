// quote_text(): a user string as it appears in a diagnostic ('…', control characters escaped,
// overlong text shortened) so a message stays one readable line.
#pragma once

#include <string>
#include <string_view>

namespace vmforge {

/// "'text'" with control characters shown as \n, \t, \xNN and text beyond 80 bytes cut with "...".
std::string quote_text(std::string_view text);

}  // namespace vmforge
