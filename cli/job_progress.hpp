// Waiting for a request whose work is QEMU block jobs (a backup, a snapshot's merge), showing
// their bytes done of total and the rate from `query-jobs` as it goes (Progress).
#pragma once

#include <functional>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/vm_client.hpp"

namespace vmforge::cli {

struct JobWait {
  std::string_view doing;                          // "Backing up": the line's start
  std::function<bool(const JsonValue& job)> ours;  // the request's jobs among query-jobs' answer
  /// Sent on `watch` at Ctrl-C or SIGTERM ("backup-cancel"); "": those signals act as usual.
  std::string_view cancel_request;
  std::string_view cancelling;  // shown then: "Cancelling the backup..."
};

/// Waits for the reply to the request sent on `request`, asking `watch` for the jobs' progress
/// every second (nothing is shown before the jobs exist).
Result<JsonValue> wait_showing_jobs(supervisor::VmClient& request, supervisor::VmClient& watch, const JobWait& how);

}  // namespace vmforge::cli
