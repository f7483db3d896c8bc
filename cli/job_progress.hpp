// The progress of a request whose work is QEMU block jobs (a backup, a snapshot's merge): their
// bytes done of total and the rate, from `query-jobs`, for wait_cancellable().
#pragma once

#include <functional>
#include <string_view>

#include "cli/cancellable_request.hpp"
#include "compiler/base/json_value.hpp"

namespace vmforge::cli {

struct JobWait {
  std::string_view doing;                          // "Backing up": the line's start
  std::function<bool(const JsonValue& job)> ours;  // the request's jobs among query-jobs' answer
  /// Sent at Ctrl-C or SIGTERM ("backup-cancel"); "": those signals act as usual.
  std::string_view cancel_request;
  std::string_view cancelling;  // shown then: "Cancelling the backup..."
};

/// The wait for such a request: nothing is shown before the jobs exist.
CancellableRequest showing_jobs(const JobWait& how);

}  // namespace vmforge::cli
