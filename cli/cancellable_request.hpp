// What the commands that wait for a long request (backup, migrate) share: the wait for its
// reply with a progress line every second, and Ctrl-C turned into the request's cancel.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/vm_client.hpp"

namespace vmforge::cli {

struct CancellableRequest {
  std::string_view cancel;      // sent on Ctrl-C: {"request":"backup-cancel"}; "": signals act as usual
  std::string_view cancelling;  // shown meanwhile: "Cancelling the backup..."
  /// The progress line, asked every second on `watch`; nullopt shows nothing new.
  std::function<std::optional<std::string>(supervisor::VmClient& watch)> progress;
};

/// Waits for the reply to the request sent on `request`, showing `how.progress` every second
/// (cli/progress.hpp); Ctrl-C (SIGINT) or SIGTERM sends `how.cancel` on `watch` once, and the
/// request's reply then says it was cancelled.
Result<JsonValue> wait_cancellable(supervisor::VmClient& request, supervisor::VmClient& watch,
                                   const CancellableRequest& how);

/// Sends `request` to VM `name`'s supervisor and waits for its reply as wait_cancellable() does:
/// one connection waits for the reply; a second asks for progress and carries the cancel.
Result<JsonValue> send_cancellable(std::string_view name, const std::optional<std::string>& runtime_dir,
                                   std::string_view request, const CancellableRequest& how);

}  // namespace vmforge::cli
