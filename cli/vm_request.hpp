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
#include "supervisor/core/vm_client.hpp"

namespace vmforge::cli {

/// The manifest `vm` was loaded from, as its supervisor takes it: its absolute path and text.
supervisor::ManifestSource manifest_source(const Vm& vm);

/// The "apply" request for `vm` to the supervisor of `vm.name` (state dir from `runtime_dir` or
/// the environment); `on_status` shows what it does while it does it.
Result<JsonValue> request_apply(const Vm& vm, const std::optional<std::string>& runtime_dir, bool allow_restart,
                                const supervisor::StatusCallback& on_status = {});

// `plan`'s exit status (FILE and DIR alike), and how long a supervisor may take to plan.
inline constexpr int kNoChanges = 0;
inline constexpr int kFailed = 1;
inline constexpr int kChanges = 2;
inline constexpr auto kPlanTimeout = std::chrono::seconds(30);

/// A running VM's plan for a manifest, as its supervisor computed it.
struct VmPlan {
  JsonValue diff;    // render_diff_json's object
  std::string text;  // render_diff_text's
  std::uint64_t changes = 0;
  std::string layers;  // describe_layers() of the disks that write to a snapshot layer
};

/// The "plan" request for `vm` to its supervisor, the reply checked.
Result<VmPlan> request_plan(const Vm& vm, const std::optional<std::string>& runtime_dir,
                            std::chrono::milliseconds timeout);

/// A supervisor's reply to "plan" as a VmPlan, its members checked.
Result<VmPlan> vm_plan(Result<JsonValue> reply);

}  // namespace vmforge::cli
