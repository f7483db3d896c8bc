// The host apply: check every manifest, then per VM: unit files (the manifest drop-in,
// enable/disable for `autostart`), stop the pruned, apply the running, start the new.
#include "cli/host_apply.hpp"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "cli/host_manifests.hpp"
#include "cli/host_vms.hpp"
#include "cli/unit_manifest.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"
#include "compiler/base/json_writer.hpp"
#include "supervisor/sd/unit_manager.hpp"

namespace vmforge::cli {
namespace {

// A start or a stop waits for its unit's job: TimeoutStartSec=/TimeoutStopSec= bound it first.
constexpr auto kJobTimeout = std::chrono::minutes(10);

enum class Outcome { started, changed, unchanged, stopped, failed };

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::started: return "started";
    case Outcome::changed: return "changed";
    case Outcome::unchanged: return "unchanged";
    case Outcome::stopped: return "stopped";
    case Outcome::failed: return "failed";
  }
  return "failed";
}

struct Report {
  std::string name;
  Outcome outcome = Outcome::failed;
  std::string message;
};

class HostApply {
 public:
  HostApply(const HostApplyOptions& o, sd::UnitManager& manager) : o_(o), manager_(manager) {}

  // Progress lines go to stdout, or to stderr when stdout carries the JSON.
  void report(std::string name, Outcome outcome, std::string message) {
    static constexpr std::string_view kMark[] = {"+", "~", " ", "-", "x"};
    fmt::print(o_.json ? stderr : stdout, "{} {}: {}\n", kMark[static_cast<int>(outcome)], name, message);
    std::fflush(o_.json ? stderr : stdout);
    reports_.push_back({std::move(name), outcome, std::move(message)});
  }
  void progress(std::string_view name, std::string_view message) {
    fmt::print(o_.json ? stderr : stdout, "  {}: {}\n", name, message);
    std::fflush(o_.json ? stderr : stdout);
  }

  std::string hint(const std::string& unit) const {
    std::string_view user = manager_.scope() == sd::ManagerScope::user ? "--user " : "";
    return fmt::format("see 'systemctl {}status {}' and 'journalctl {}-u {}'", user, unit, user, unit);
  }

  // The manifest drop-in and autostart of each VM; false for a VM that cannot be started right.
  bool prepare_unit(const Vm& vm, bool& reload) {
    std::error_code ec;
    std::string manifest = std::filesystem::absolute(vm.source_path, ec).lexically_normal().string();
    const bool autostart = vm.supervisor.autostart.value_or(false);
    auto pointed = point_unit_at(vm.name, manifest, manager_.scope(), autostart);
    if (!pointed) {
      report(vm.name, Outcome::failed, pointed.error().message);
      return false;
    }
    reload = reload || *pointed;
    if (!vm.supervisor.autostart) return true;
    const std::string unit = unit_name(vm.name);
    auto changed = autostart ? manager_.enable(unit) : manager_.disable(unit);
    if (!changed) {
      report(vm.name, Outcome::failed, changed.error().message);
      return false;
    }
    if (*changed)
      progress(vm.name, fmt::format("{} {} (autostart = {})", autostart ? "enabled" : "disabled", unit, autostart));
    reload = reload || *changed;
    return true;
  }

  // Waits for the jobs in `jobs` (job path -> VM name); `done` says what a finished one did.
  void wait_jobs(std::map<std::string, std::string> jobs, Outcome done, std::string_view verb) {
    while (!jobs.empty()) {
      auto finished = manager_.next_finished_job(kJobTimeout);
      if (!finished) {
        for (const auto& [job, name] : jobs) report(name, Outcome::failed, finished.error().message);
        return;
      }
      auto it = jobs.find(finished->job);
      if (it == jobs.end()) continue;  // another client's job
      if (finished->result == "done") {
        report(it->second, done,
               fmt::format("{} ({})", done == Outcome::started ? "started" : "stopped", finished->unit));
      } else {
        auto result = manager_.service_result(finished->unit);
        report(it->second, Outcome::failed,
               fmt::format("failed to {} {}: job result '{}'{}; {}.", verb, finished->unit, finished->result,
                           result ? fmt::format(", service result '{}'", *result) : "", hint(finished->unit)));
      }
      jobs.erase(it);
    }
  }

  void stop(const std::vector<const HostVm*>& vms) {
    std::map<std::string, std::string> jobs;
    for (const HostVm* vm : vms) {
      auto unit = manager_.unit_of_pid(*vm->supervisor_pid);
      if (unit && *unit == unit_name(vm->name)) {
        auto job = manager_.stop_unit(**unit);
        if (!job) {
          report(vm->name, Outcome::failed, job.error().message);
          continue;
        }
        progress(vm->name, fmt::format("stopping {} (no manifest in '{}')", **unit, o_.dir));
        jobs.emplace(std::move(*job), vm->name);
        continue;
      }
      // Not run by its unit (`vmforge run` in a terminal): its supervisor stops it.
      progress(vm->name, fmt::format("stopping it through its control socket (no manifest in '{}')", o_.dir));
      auto stopped = stop_vm(vm->name, std::nullopt, true);
      report(vm->name, stopped ? Outcome::stopped : Outcome::failed,
             stopped ? std::string("stopped") : stopped.error().message);
    }
    wait_jobs(std::move(jobs), Outcome::stopped, "stop");
  }

  void apply(const Vm& vm) {
    auto reply = request_apply(vm, std::nullopt, o_.allow_restart);
    if (!reply) {
      report(vm.name, Outcome::failed, reply.error().message);
      return;
    }
    const std::string message(reply->get_string("message").value_or(""));
    if (!reply->get_bool("ok").value_or(false)) {
      report(vm.name, Outcome::failed, message);
    } else if (reply->get_uint64("changes").value_or(0) == 0) {
      report(vm.name, Outcome::unchanged, "no changes");
    } else {
      report(vm.name, Outcome::changed, fmt::format("applied from '{}': {}", vm.source_path, message));
    }
  }

  void start(const std::vector<const Vm*>& vms) {
    std::map<std::string, std::string> jobs;
    for (const Vm* vm : vms) {
      const std::string unit = unit_name(vm->name);
      auto job = manager_.start_unit(unit);
      if (!job) {
        report(vm->name, Outcome::failed, fmt::format("{}; {}.", job.error().message, hint(unit)));
        continue;
      }
      progress(vm->name, fmt::format("starting {} from '{}'", unit, vm->source_path));
      jobs.emplace(std::move(*job), vm->name);
    }
    wait_jobs(std::move(jobs), Outcome::started, "start");
  }

  int finish() const {
    std::map<Outcome, std::uint64_t> count;
    for (const Report& r : reports_) ++count[r.outcome];
    auto n = [&](Outcome o) { return count.count(o) ? count.at(o) : 0; };
    if (o_.json) {
      JsonWriter w;
      w.begin_object().field("dir", o_.dir).field("prune", o_.prune).key("vms").begin_array();
      for (const Report& r : reports_) {
        w.begin_object().field("name", r.name).field("outcome", to_string(r.outcome)).field("message", r.message);
        w.end_object();
      }
      w.end_array();
      for (Outcome o : {Outcome::started, Outcome::changed, Outcome::stopped, Outcome::unchanged, Outcome::failed}) {
        w.field(to_string(o), n(o));
      }
      w.end_object();
      fmt::print("{}\n", w.str());
    } else {
      fmt::print("\nHost apply: {} started, {} changed, {} stopped, {} unchanged, {} failed.\n", n(Outcome::started),
                 n(Outcome::changed), n(Outcome::stopped), n(Outcome::unchanged), n(Outcome::failed));
    }
    return n(Outcome::failed) == 0 ? 0 : 1;
  }

 private:
  const HostApplyOptions& o_;
  sd::UnitManager& manager_;
  std::vector<Report> reports_;
};

}  // namespace

int host_apply(const HostApplyOptions& o) {
  auto manifests = load_host_manifests(o.dir);
  if (!manifests) {
    fmt::print(stderr, "vmforge apply: '{}' has errors; nothing applied.\n", o.dir);
    return 1;
  }
  auto manager = sd::UnitManager::connect(own_manager());
  if (!manager) {
    fmt::print(stderr, "vmforge apply: {} 'apply DIR' runs each VM as a unit vmforge@NAME.service; nothing applied.\n",
               manager.error().message);
    return 1;
  }
  auto host = survey_host(std::nullopt);
  if (!host) {
    fmt::print(stderr, "vmforge apply: {}\n", host.error().message);
    return 1;
  }
  std::map<std::string, const HostVm*> running;
  for (const HostVm& vm : *host) {
    if (vm.supervised()) running[vm.name] = &vm;
  }
  fmt::print(o.json ? stderr : stdout, "Applying the manifests in '{}' to the VMs of this host{}.\n", o.dir,
             o.prune ? " (VMs without a manifest are stopped: --prune)" : "");
  HostApply apply(o, *manager);
  std::vector<const Vm*> to_start;
  std::vector<const Vm*> to_apply;
  bool reload = false;
  for (const Vm& vm : *manifests) {
    const bool is_running = running.erase(vm.name) > 0;
    if (apply.prepare_unit(vm, reload)) (is_running ? to_apply : to_start).push_back(&vm);
  }
  if (reload) {
    if (auto reloaded = manager->reload(); !reloaded) {
      fmt::print(stderr, "vmforge apply: {}\n", reloaded.error().message);
      return 1;
    }
  }
  std::vector<const HostVm*> to_stop;
  if (o.prune) {
    for (const auto& [name, vm] : running) to_stop.push_back(vm);
  }
  apply.stop(to_stop);
  for (const Vm* vm : to_apply) apply.apply(*vm);
  apply.start(to_start);
  return apply.finish();
}

}  // namespace vmforge::cli
