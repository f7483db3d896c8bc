#include "cli/job_progress.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "cli/progress.hpp"
#include "supervisor/core/control_client.hpp"

namespace vmforge::cli {
namespace {

constexpr auto kProgressPeriod = std::chrono::seconds(1);
constexpr auto kSignalPeriod = std::chrono::milliseconds(100);  // how soon Ctrl-C is acted on

// The jobs' bytes done and total, from query-jobs; nullopt before they exist.
std::optional<std::pair<std::uint64_t, std::uint64_t>> job_progress(supervisor::VmClient& client, const JobWait& how) {
  auto jobs = client.qmp(R"({"execute":"query-jobs"})");
  if (!jobs || !jobs->as_array()) return std::nullopt;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  bool any = false;
  for (const JsonValue& job : *jobs->as_array()) {
    if (!how.ours(job)) continue;
    any = true;
    done += job.get_uint64("current-progress").value_or(0);
    total += job.get_uint64("total-progress").value_or(0);
  }
  if (!any) return std::nullopt;
  return std::pair{done, total};
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

Result<JsonValue> wait_showing_jobs(supervisor::VmClient& request, supervisor::VmClient& watch, const JobWait& how) {
  sigset_t stop;
  sigemptyset(&stop);
  if (!how.cancel_request.empty()) {
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
  }
  Progress progress;
  std::uint64_t last_done = 0;
  auto last_time = std::chrono::steady_clock::now();
  bool cancelling = false;
  auto next_progress = std::chrono::steady_clock::now() + kProgressPeriod;
  for (;;) {
    auto line = request.connection().read_line(kSignalPeriod);
    if (line) return supervisor::reply_value(*line);
    if (line.error().errno_value != ETIMEDOUT) return unexpected(std::move(line).error());
    const struct timespec now{0, 0};
    if (!how.cancel_request.empty() && !cancelling && sigtimedwait(&stop, nullptr, &now) > 0) {
      cancelling = true;
      progress.show(how.cancelling);
      if (auto sent = watch.connection().call(how.cancel_request); !sent) return unexpected(std::move(sent).error());
    }
    if (cancelling || std::chrono::steady_clock::now() < next_progress) continue;
    next_progress += kProgressPeriod;
    auto jobs = job_progress(watch, how);
    if (!jobs) continue;
    const auto t = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(t - last_time).count();
    const double rate = jobs->first >= last_done && seconds > 0 ? mib(jobs->first - last_done) / seconds : 0;
    last_done = jobs->first;
    last_time = t;
    progress.show(fmt::format("{}: {:.1f} of {:.1f} MiB ({:.0f}%), {:.1f} MiB/s", how.doing, mib(jobs->first),
                              mib(jobs->second), jobs->second ? 100.0 * jobs->first / jobs->second : 0.0, rate));
  }
}

}  // namespace vmforge::cli
