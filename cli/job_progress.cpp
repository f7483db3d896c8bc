#include "cli/job_progress.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

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

CancellableRequest showing_jobs(const JobWait& how) {
  struct Last {
    std::uint64_t done = 0;
    std::chrono::steady_clock::time_point time = std::chrono::steady_clock::now();
  };
  auto line = [how, last = std::make_shared<Last>()](supervisor::VmClient& client) -> std::optional<std::string> {
    auto jobs = job_progress(client, how);
    if (!jobs) return std::nullopt;
    const auto t = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(t - last->time).count();
    const double rate = jobs->first >= last->done && seconds > 0 ? mib(jobs->first - last->done) / seconds : 0;
    last->done = jobs->first;
    last->time = t;
    return fmt::format("{}: {:.1f} of {:.1f} MiB ({:.0f}%), {:.1f} MiB/s", how.doing, mib(jobs->first),
                       mib(jobs->second), jobs->second ? 100.0 * jobs->first / jobs->second : 0.0, rate);
  };
  return {how.cancel_request, how.cancelling, line};
}

}  // namespace vmforge::cli
