// The wait loop: the reply line polled every 100 ms, a pending signal, the progress.
#include "cli/cancellable_request.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>

#include "cli/progress.hpp"

namespace vmforge::cli {
namespace {

constexpr auto kProgressPeriod = std::chrono::seconds(1);
constexpr auto kSignalPeriod = std::chrono::milliseconds(100);  // how soon Ctrl-C is acted on

}  // namespace

Result<JsonValue> wait_cancellable(supervisor::VmClient& request, supervisor::VmClient& watch,
                                   const CancellableRequest& how) {
  sigset_t stop;
  sigemptyset(&stop);
  if (!how.cancel.empty()) {
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
  }
  Progress progress;
  bool cancelling = false;
  auto next_progress = std::chrono::steady_clock::now() + kProgressPeriod;
  for (;;) {
    auto line = request.connection().read_line(kSignalPeriod);
    if (line) return supervisor::reply_value(*line);
    if (line.error().errno_value != ETIMEDOUT) return unexpected(std::move(line).error());
    const struct timespec now { 0, 0 };
    if (!how.cancel.empty() && !cancelling && sigtimedwait(&stop, nullptr, &now) > 0) {
      cancelling = true;
      progress.show(how.cancelling);
      if (auto sent = watch.connection().call(how.cancel); !sent) return unexpected(std::move(sent).error());
    }
    if (cancelling || std::chrono::steady_clock::now() < next_progress) continue;
    next_progress += kProgressPeriod;
    if (auto text = how.progress(watch)) progress.show(*text);
  }
}

Result<JsonValue> send_cancellable(std::string_view name, const std::optional<std::string>& runtime_dir,
                                   std::string_view request, const CancellableRequest& how) {
  VMFORGE_TRY(auto client, supervisor::VmClient::connect(name, runtime_dir));
  VMFORGE_TRY(auto watch, supervisor::VmClient::connect(name, runtime_dir));
  VMFORGE_TRY_VOID(client.connection().send(request));
  return wait_cancellable(client, watch, how);
}

}  // namespace vmforge::cli
