// install_plan_apply(): gives a Supervisor the plan/apply requests, manifest reload on SIGHUP,
// and reconciliation of an adopted QEMU (drift reported, then applied).
#pragma once

#include "supervisor/core/supervisor.hpp"

namespace vmforge::supervisor {

/// Installs the hooks on `supervisor` before start(). `event` is the supervisor's loop.
void install_plan_apply(Supervisor& supervisor);

}  // namespace vmforge::supervisor
