// Plan and apply against the observed VM: observe, diff, run, observe again, persist.
#include "supervisor/core/reconciler.hpp"

#include <cerrno>
#include <chrono>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/model/units.hpp"
#include "compiler/plan/argv_format.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/core/applied_manifest.hpp"
#include "supervisor/core/host_check.hpp"
#include "supervisor/core/observe.hpp"

namespace vmforge::supervisor {
namespace {

// `check_only`: observing to check an apply's outcome (ObserveContext::check_only).
ObserveContext context_for(const Vm& applied, const Vm& desired, bool check_only) {
  ObserveContext context;
  context.hotplug = applied.machine.family == MachineFamily::q35 || applied.machine.family == MachineFamily::pc;
  context.root_ports = applied.machine.family == MachineFamily::q35;
  context.check_only = check_only;
  context.identity = identity_of(resources_of(desired));
  for (const Net& net : applied.nets) context.link_up[net.id.str()] = net.link_up;
  const ResourceSet asked = resources_of(applied);
  for (const Resource* r : asked.all()) {
    auto target = r->props.find("target");
    if (r->kind != ResourceKind::balloon || target == r->props.end()) continue;
    if (auto bytes = ByteSize::parse(target->second)) context.balloon_targets[r->id] = bytes->bytes();
  }
  for (const Vm* vm : {&applied, &desired}) {
    for (const Net& net : vm->nets) {
      if (net.backend == NetBackend::vfio) context.vfio_nets.insert(net.id.str());
    }
  }
  return context;
}

// What to do when the guest did not release a device in time (its unplug timed out).
std::string unplug_hint(const StepFailure& f) {
  if (f.command != "device_del" || f.error.errno_value != ETIMEDOUT) return {};
  return fmt::format(" The guest did not release '{}': is it running an OS with ACPI/PCIe hotplug, and not "
                     "paused? The device and its backends were left in place; run 'vmforge plan' again once the "
                     "guest has released it, or restart the VM with 'vmforge apply --allow-restart FILE'.",
                     f.resource);
}

// The first change that unplugs a device (waits for the guest to release it), or null.
const Change* first_unplug(const Diff& diff) {
  for (const Change& c : diff.changes) {
    for (const PlanStep& step : c.steps) {
      if (step.call.command == "device_del") return &c;
    }
  }
  return nullptr;
}

std::string paused_message(const std::string& name, const std::string& status, const std::string& resource) {
  return fmt::format("The VM is not running (QEMU status '{}'): a stopped guest cannot release devices, so the "
                     "unplug of '{}' would time out. Nothing was changed. Resume the guest (vmforge qmp {} "
                     "'{{\"execute\":\"cont\"}}') and apply again.",
                     status, resource, name);
}

std::string restart_message(const Diff& diff, const std::string& manifest_path) {
  std::string text = "A restart is required for:";
  for (const Change& c : diff.changes) {
    if (c.action == Action::restart) text += fmt::format(" {} ({});", c.key, c.reason);
  }
  // The whole command, FILE quoted for a shell, so that it can be copied as it is.
  text += fmt::format(" nothing was changed. To stop the guest and start it with the new command line, run: "
                      "vmforge apply --allow-restart {}",
                      shell_quote(manifest_path));
  return text;
}

}  // namespace

std::string compare_observed(const ResourceSet& before, const ResourceSet& after) {
  std::vector<std::string> differ;
  for (const Resource* r : before.all()) {
    const Resource* other = after.find(r->key());
    if (!other) {
      differ.push_back(fmt::format("'{}' is gone", r->key()));
    } else if (other->props != r->props) {
      differ.push_back(fmt::format("'{}' changed", r->key()));
    }
  }
  for (const Resource* r : after.all()) {
    if (!before.find(r->key())) differ.push_back(fmt::format("'{}' is new", r->key()));
  }
  return fmt::format("{}", fmt::join(differ, ", "));
}

Reconciler::Reconciler(sd_event* event, qmp::Client& client, StateDir state, Vm applied, Hooks hooks)
    : event_(event), client_(&client), state_(std::move(state)), applied_(std::move(applied)), hooks_(std::move(hooks)) {}

void Reconciler::attach(qmp::Client& client, Vm applied) {
  client_ = &client;
  applied_ = std::move(applied);
}

void Reconciler::plan(Vm desired, std::function<void(Result<Diff>)> done) {
  observe(*client_, context_for(applied_, desired, false),
          [this, desired = std::move(desired), done](Result<ResourceSet> observed) {
            if (!observed) return done(unexpected(std::move(observed).error()));
            done(diff(desired, Current{std::move(*observed), &applied_}));
          });
}

void Reconciler::apply(Vm desired, bool allow_restart, std::function<void(Result<ApplyOutcome>)> done) {
  if (busy_) {
    done(unexpected(Error("Another apply is in progress; try again when it has finished.", EBUSY)));
    return;
  }
  busy_ = true;
  auto finish = [this, done](Result<ApplyOutcome> outcome) {
    busy_ = false;
    if (outcome && hooks_.log) hooks_.log(outcome->message);
    done(std::move(outcome));
  };
  auto ctx = context_for(applied_, desired, false);
  observe(*client_, std::move(ctx), [this, desired = std::move(desired), allow_restart, finish](Result<ResourceSet> seen) mutable {
    if (!seen) return finish(unexpected(std::move(seen).error()));
    auto planned = diff(desired, Current{*seen, &applied_});
    if (!planned) return finish(unexpected(std::move(planned).error()));
    ApplyOutcome outcome;
    outcome.diff = std::move(*planned);
    if (outcome.diff.empty()) {
      auto saved = save_applied_manifest(state_, desired);
      if (!saved) return finish(unexpected(std::move(saved).error()));
      applied_ = std::move(desired);
      outcome.ok = true;
      outcome.message = "No changes: the VM matches the manifest.";
      return finish(std::move(outcome));
    }
    if (outcome.diff.needs_restart()) {
      if (!allow_restart || !hooks_.restart) {
        outcome.message = restart_message(outcome.diff, desired.source_path);
        return finish(std::move(outcome));
      }
      auto shared = std::make_shared<Vm>(std::move(desired));
      hooks_.restart(*shared, [this, shared, outcome = std::move(outcome), finish](Result<void> restarted) mutable {
        if (!restarted) return finish(unexpected(std::move(restarted).error()));
        auto saved = save_applied_manifest(state_, *shared);
        if (!saved) return finish(unexpected(std::move(saved).error()));
        applied_ = std::move(*shared);
        outcome.ok = outcome.restarted = true;
        outcome.message = "Restarted the VM with the new command line.";
        finish(std::move(outcome));
      });
      return;
    }
    std::vector<HostNeed> needs;
    for (const Change& c : outcome.diff.changes) needs.insert(needs.end(), c.host_needs.begin(), c.host_needs.end());
    if (auto host = check_host_needs(needs); !host) return finish(unexpected(std::move(host).error()));
    const Change* unplug = first_unplug(outcome.diff);
    if (!unplug) return run_steps(std::move(desired), std::move(outcome), std::move(*seen), finish);
    // A paused guest cannot release a device: the unplug would only wait for its timeout.
    auto state = std::make_shared<std::tuple<Vm, ApplyOutcome, ResourceSet>>(std::move(desired), std::move(outcome),
                                                                             std::move(*seen));
    auto sent = client_->execute(qmp::query_status(), std::chrono::seconds(5), [this, state, finish](Result<JsonValue> status) {
      auto& [vm, result, before] = *state;
      if (!status) return finish(unexpected(std::move(status).error()));
      if (status->get_bool("running") == std::optional<bool>(false)) {
        result.message = paused_message(vm.name, std::string(status->get_string("status").value_or("paused")),
                                        first_unplug(result.diff)->resource);
        return finish(std::move(result));
      }
      run_steps(std::move(vm), std::move(result), std::move(before), finish);
    });
    if (!sent) finish(unexpected(std::move(sent).error()));
  });
}

void Reconciler::run_steps(Vm desired, ApplyOutcome outcome, ResourceSet before,
                           std::function<void(Result<ApplyOutcome>)> done) {
  std::vector<PlanStep> steps;
  StepRunnerOptions options;
  for (const Change& c : outcome.diff.changes) {
    if (c.waits_for_earlier) options.barriers.push_back(steps.size());
    steps.insert(steps.end(), c.steps.begin(), c.steps.end());
  }
  outcome.steps = steps.size();
  auto state = std::make_shared<std::tuple<Vm, ApplyOutcome, ResourceSet>>(std::move(desired), std::move(outcome),
                                                                           std::move(before));
  options.on_progress = hooks_.progress;
  auto runner = StepRunner::start(event_, *client_, std::move(steps), std::move(options),
                                  [this, state, done](StepReport report) {
                                    auto& [vm, result, seen] = *state;
                                    result.report = std::move(report);
                                    finish_apply(std::move(vm), std::move(result), std::move(seen), done);
                                  });
  if (!runner) return done(unexpected(std::move(runner).error()));
  runner_ = std::move(*runner);
}

// Observes again: after a success the VM must match the manifest; after a failure it must be
// as it was before (the undo steps ran).
void Reconciler::finish_apply(Vm desired, ApplyOutcome outcome, ResourceSet before,
                              std::function<void(Result<ApplyOutcome>)> done) {
  auto state = std::make_shared<std::tuple<Vm, ApplyOutcome, ResourceSet>>(std::move(desired), std::move(outcome),
                                                                           std::move(before));
  // Link states are not observable: after a success they are the new manifest's, after an
  // undo the old one's.
  const Vm& links = std::get<1>(*state).report->ok() ? std::get<0>(*state) : applied_;
  observe(*client_, context_for(links, std::get<0>(*state), true),
          [this, state, done](Result<ResourceSet> after) {
            auto& [vm, result, seen] = *state;
            if (!after) return done(unexpected(std::move(after).error()));
            const StepReport& report = *result.report;
            if (!report.ok()) {
              const std::string drift = compare_observed(seen, *after);
              result.message = report.describe(result.steps) + unplug_hint(*report.failure);
              for (const StepFailure& f : report.undo_failures) result.message += unplug_hint(f);
              result.message += drift.empty() ? " Observed again: the VM is as it was before the apply."
                                              : fmt::format(" Observed again: the VM differs from before: {}.", drift);
              return done(std::move(result));
            }
            auto rest = diff(vm, Current{*after, &vm});
            if (rest && !rest->empty()) {
              result.message = fmt::format("All {} steps succeeded, but the VM still differs from the manifest: {}",
                                           result.steps, rest->summary());
              return done(std::move(result));
            }
            if (auto saved = save_applied_manifest(state_, vm); !saved) return done(unexpected(std::move(saved).error()));
            applied_ = std::move(vm);
            result.ok = true;
            result.message = fmt::format("Applied {} change(s) in {} steps. {}", result.diff.changes.size(),
                                         result.steps, result.diff.summary());
            done(std::move(result));
          });
}

}  // namespace vmforge::supervisor
