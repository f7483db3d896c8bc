// The snapshot layer each disk writes to, as `plan`, `status` and `snapshot list` say it
// (README, "Snapshots"): where the manifest's `file` is only the base.
#pragma once

#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"

namespace vmforge::cli {

/// One line per element of a reply's array of {"disk", "snapshot", "file"}, each after `indent`:
/// "Disk 'data' writes to the layer of snapshot 's1' (FILE) above its file.\n". "" for none.
std::string describe_layers(const JsonValue* layers, std::string_view indent = "");

}  // namespace vmforge::cli
