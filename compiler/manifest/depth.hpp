// How deep a TOML text nests, found before toml++ sees it: toml++ bounds nested inline values
// (256) but not table headers or dotted keys, and both its parser (update_region_ends) and the
// tables' destructors recurse once per level, so `[a.a.a…]` with ~150,000 parts overflows the
// stack inside toml++ itself. A cheap lexer over the text gives an upper bound instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vmforge {

/// The deepest a manifest may nest tables, arrays and dotted keys (real ones need about 5).
inline constexpr std::size_t kMaxManifestDepth = 64;

struct TextPos {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

/// Where `text` first nests deeper than `limit`, or nullopt. An upper bound: each dotted-key
/// part, table header part, array and inline table counts one level, on the path from the
/// current [table] header; it never counts less than toml++ would build.
std::optional<TextPos> find_too_deep(std::string_view text, std::size_t limit);

}  // namespace vmforge
