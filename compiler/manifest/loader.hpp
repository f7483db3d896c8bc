// load_manifest: TOML text -> RawValue tree. The only place that includes toml++.
#pragma once

#include <string_view>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/manifest/raw_manifest.hpp"

namespace vmforge {

/// Parses `text` (a TOML document). A syntax error becomes one diagnostic at its position in
/// `path`. Table entries come out in file order (toml++ iterates key-sorted).
Result<RawValue, Diagnostics> load_manifest(std::string_view text, std::string_view path);

}  // namespace vmforge
