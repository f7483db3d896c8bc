// What `plan` and `apply` share: sending a manifest to the supervisor of the VM it names.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model.hpp"

namespace vmforge::cli {

/// Sends {"request": `request`, "path": <absolute manifest path>, "text": <manifest>, plus the
/// boolean `flags`} to the supervisor of `vm.name` (state dir from `runtime_dir` or the
/// environment) and returns the reply's value.
Result<JsonValue> send_manifest(const Vm& vm, std::string_view request, const std::optional<std::string>& runtime_dir,
                                const std::vector<std::pair<std::string_view, bool>>& flags,
                                std::chrono::milliseconds timeout);

}  // namespace vmforge::cli
