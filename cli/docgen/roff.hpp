// roff: text made safe for man(7) pages.
#pragma once

#include <string>
#include <string_view>

namespace vmforge::docgen {

/// `text` as roff input: backslashes and hyphens escaped, a leading '.' or '\'' neutralised,
/// and a break point allowed after ',' '/' '|' so long JSON or paths can wrap.
std::string roff(std::string_view text);

/// `text` in bold (\fB...\fR), escaped.
std::string bold(std::string_view text);

}  // namespace vmforge::docgen
