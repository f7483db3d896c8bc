// What `plan` and `apply` share: sending a manifest to the supervisor of the VM it names.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"

namespace vmforge::cli {

/// Sends {"request": `request`, "path": <absolute manifest path>, "text": <manifest>, plus the
/// boolean `flags`} to the supervisor of `vm.name` (state dir from `runtime_dir` or the
/// environment) and returns the reply's value.
Result<JsonValue> send_manifest(const Vm& vm, std::string_view request, const std::optional<std::string>& runtime_dir,
                                const std::vector<std::pair<std::string_view, bool>>& flags,
                                std::chrono::milliseconds timeout);

// `plan`'s exit status (FILE and DIR alike), and how long a supervisor may take to plan.
inline constexpr int kNoChanges = 0;
inline constexpr int kFailed = 1;
inline constexpr int kChanges = 2;
inline constexpr auto kPlanTimeout = std::chrono::seconds(30);
/// How long an apply may take: unplugs wait for the guest (10 s each at most), and a restart
/// for a graceful shutdown.
inline constexpr auto kApplyTimeout = std::chrono::minutes(10);

/// A running VM's plan for a manifest, as its supervisor computed it.
struct VmPlan {
  JsonValue diff;        // render_diff_json's object
  std::string text;      // render_diff_text's
  std::uint64_t changes = 0;
};

/// The "plan" request for `vm` (send_manifest), its reply checked.
Result<VmPlan> request_plan(const Vm& vm, const std::optional<std::string>& runtime_dir,
                            std::chrono::milliseconds timeout);

}  // namespace vmforge::cli
