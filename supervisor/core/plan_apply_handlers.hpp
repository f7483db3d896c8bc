// The control socket's `plan` and `apply` requests, served by a Reconciler.
//   {"request":"plan","path":P,"text":T}
//     -> {"changes":N,"diff":{...render_diff_json},"text":"...render_diff_text"}
//   {"request":"apply","path":P,"text":T,"allow_restart":B}
//     -> {"ok":B,"message":"...","restarted":B,"steps":N,"changes":N,"diff":{...},"text":"..."}
// P is the manifest's path (its directory resolves relative paths), T its bytes. An invalid
// manifest gets an error reply whose desc holds the rendered diagnostics.
#pragma once

#include <functional>

#include "supervisor/core/control_server.hpp"
#include "supervisor/core/reconciler.hpp"

namespace vmforge::supervisor {

/// Runs an apply (Reconciler::apply plus what its owner does around it).
using ApplyFunction =
    std::function<void(Vm desired, bool allow_restart, std::function<void(Result<ApplyOutcome>)> done)>;

/// Registers both handlers; `reconciler` must outlive `server`'s use of them. `apply` runs
/// the applies.
void add_plan_apply_handlers(ControlServer& server, Reconciler& reconciler, ApplyFunction apply);

}  // namespace vmforge::supervisor
