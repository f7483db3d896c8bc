#include "cli/job_progress.hpp"

#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "cli/cancellable_request.hpp"
#include "supervisor/core/control_client.hpp"

namespace vmforge::cli {
namespace {

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
  std::uint64_t last_done = 0;
  auto last_time = std::chrono::steady_clock::now();
  auto line = [&](supervisor::VmClient& client) -> std::optional<std::string> {
    auto jobs = job_progress(client, how);
    if (!jobs) return std::nullopt;
    const auto t = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(t - last_time).count();
    const double rate = jobs->first >= last_done && seconds > 0 ? mib(jobs->first - last_done) / seconds : 0;
    last_done = jobs->first;
    last_time = t;
    return fmt::format("{}: {:.1f} of {:.1f} MiB ({:.0f}%), {:.1f} MiB/s", how.doing, mib(jobs->first),
                       mib(jobs->second), jobs->second ? 100.0 * jobs->first / jobs->second : 0.0, rate);
  };
  return wait_cancellable(request, watch, {how.cancel_request, how.cancelling, line});
}

}  // namespace vmforge::cli
