// Plan and apply against the observed VM: observe, diff, run, observe again, persist.
#include "supervisor/core/reconciler.hpp"

#include <cerrno>
#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/base/json_value.hpp"
#include "compiler/model/units.hpp"
#include "compiler/plan/argv_format.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/core/applied_manifest.hpp"
#include "supervisor/core/disk_chains.hpp"
#include "supervisor/core/host_check.hpp"
#include "supervisor/core/observe.hpp"

namespace vmforge::supervisor {
namespace {

// `check_only`: observing to check an apply's outcome (ObserveContext::check_only).
ObserveContext context_for(const Vm& applied, const Vm& desired, bool check_only,
                           const std::vector<std::string>& freed_ports, const std::vector<std::uint8_t>& freed_slots) {
  ObserveContext context;
  context.freed_ports = freed_ports;
  context.freed_slots = freed_slots;
  context.hotplug = applied.machine.family == MachineFamily::q35 || applied.machine.family == MachineFamily::pc;
  context.root_ports = applied.machine.family == MachineFamily::q35;
  context.bus_slots = applied.machine.family == MachineFamily::pc;
  context.check_only = check_only;
  context.reuse_replies = applied.qmp_sockets.empty() && applied.qemu.extra_args.empty();
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
    : event_(event),
      client_(&client),
      state_(std::move(state)),
      applied_(std::move(applied)),
      hooks_(std::move(hooks)) {}

void Reconciler::attach(qmp::Client& client, Vm applied) {
  client_ = &client;
  applied_ = std::move(applied);
  // A new QEMU and guest: no eject of the old one's is pending.
  freed_ports_.clear();
  freed_slots_.clear();
}

// Both VMs as the supervisor runs them: with the snapshot layers recorded now (a snapshot may
// have been taken since the last apply).
Result<void> Reconciler::use_disk_chains(Vm& desired) {
  VMFORGE_TRY_VOID(with_disk_chains(state_, desired));
  return with_disk_chains(state_, applied_);
}

void Reconciler::plan(Vm desired, std::function<void(Result<Diff>)> done) {
  if (auto chains = use_disk_chains(desired); !chains) return done(unexpected(std::move(chains).error()));
  observe(*client_, context_for(applied_, desired, false, freed_ports_, freed_slots_),
          [this, desired = std::move(desired), done](Result<ResourceSet> observed) {
            if (!observed) return done(unexpected(std::move(observed).error()));
            done(diff(desired, Current{std::move(*observed), &applied_}));
          });
}

// One apply, stage by stage: observe and diff -> restart, or check the host and the guest's
// run state -> run the steps -> observe again -> record the applied manifest -> reply. The
// Reconciler owns it while it runs; the QMP client and the supervisor's restart hold only
// callbacks into it.
class Reconciler::ApplyJob {
 public:
  ApplyJob(Reconciler& owner, Vm desired, bool allow_restart, std::function<void(Result<ApplyOutcome>)> done)
      : owner_(owner), desired_(std::move(desired)), allow_restart_(allow_restart), done_(std::move(done)) {}

  void start() {
    observe(*owner_.client_, context_for(owner_.applied_, desired_, false, owner_.freed_ports_, owner_.freed_slots_),
            [this](Result<ResourceSet> seen) { planned(std::move(seen)); });
  }

 private:
  void planned(Result<ResourceSet> seen) {
    if (!seen) return reply(unexpected(std::move(seen).error()));
    auto planned = diff(desired_, Current{*seen, &owner_.applied_});
    if (!planned) return reply(unexpected(std::move(planned).error()));
    outcome_.diff = std::move(*planned);
    before_ = std::move(*seen);
    if (outcome_.diff.empty()) return record("No changes: the VM matches the manifest.");
    if (outcome_.diff.needs_restart()) return restart();
    std::vector<HostNeed> needs;
    for (const Change& c : outcome_.diff.changes) needs.insert(needs.end(), c.host_needs.begin(), c.host_needs.end());
    if (auto host = check_host_needs(needs); !host) return reply(unexpected(std::move(host).error()));
    if (!first_unplug(outcome_.diff)) return run_steps();
    check_running();
  }

  void restart() {
    if (!allow_restart_ || !owner_.hooks_.restart) {
      outcome_.message = restart_message(outcome_.diff, desired_.source_path);
      return reply(std::move(outcome_));
    }
    owner_.hooks_.restart(desired_, [this](Result<void> restarted) {
      if (!restarted) return reply(unexpected(std::move(restarted).error()));
      outcome_.restarted = true;
      record("Restarted the VM with the new command line.");
    });
  }

  // A paused guest cannot release a device: the unplug would only wait for its timeout.
  void check_running() {
    auto sent = owner_.client_->execute(qmp::query_status(), std::chrono::seconds(5), [this](Result<JsonValue> status) {
      if (!status) return reply(unexpected(std::move(status).error()));
      if (status->get_bool("running") == std::optional<bool>(false)) {
        outcome_.message = paused_message(desired_.name, std::string(status->get_string("status").value_or("paused")),
                                          first_unplug(outcome_.diff)->resource);
        return reply(std::move(outcome_));
      }
      run_steps();
    });
    if (!sent) reply(unexpected(std::move(sent).error()));
  }

  void run_steps() {
    std::vector<PlanStep> steps;
    StepRunnerOptions options;
    for (const Change& c : outcome_.diff.changes) {
      if (c.waits_for_earlier) options.barriers.push_back(steps.size());
      steps.insert(steps.end(), c.steps.begin(), c.steps.end());
    }
    outcome_.steps = steps.size();
    options.on_progress = [this](std::size_t index, const PlanStep& step, StepPhase phase) {
      if (phase == StepPhase::completed) note_unplug(step);
      if (owner_.hooks_.progress) owner_.hooks_.progress(index, step, phase);
    };
    auto runner = StepRunner::start(owner_.event_, *owner_.client_, std::move(steps), std::move(options),
                                    [this](StepReport report) { steps_done(std::move(report)); });
    if (!runner) return reply(unexpected(std::move(runner).error()));
    runner_ = std::move(*runner);
  }

  // A device_del that completed freed the root port (q35) or slot (pc) its device was seen on.
  void note_unplug(const PlanStep& step) {
    if (step.call.command != "device_del") return;
    auto arguments = parse_json(step.call.arguments);
    auto id = arguments ? arguments->get_string("id") : std::nullopt;
    if (!id) return;
    remember_freed(before_.facts().device_ports, *id, owner_.freed_ports_);
    remember_freed(before_.facts().device_slots, *id, owner_.freed_slots_);
  }

  template <typename Place>
  static void remember_freed(const std::map<std::string, Place>& places, std::string_view device,
                             std::vector<Place>& freed) {
    auto place = places.find(std::string(device));
    if (place == places.end()) return;
    std::erase(freed, place->second);
    freed.push_back(place->second);
  }

  // Observes again: after a success the VM must match the manifest; after a failure it must
  // be as it was before (the undo steps ran).
  void steps_done(StepReport report) {
    outcome_.report = std::move(report);
    // Link states are not observable: after a success they are the new manifest's, after an
    // undo the old one's.
    const Vm& links = outcome_.report->ok() ? desired_ : owner_.applied_;
    observe(*owner_.client_, context_for(links, desired_, true, owner_.freed_ports_, owner_.freed_slots_),
            [this](Result<ResourceSet> after) { verify(std::move(after)); });
  }

  void verify(Result<ResourceSet> after) {
    if (!after) return reply(unexpected(std::move(after).error()));
    const StepReport& report = *outcome_.report;
    if (!report.ok()) {
      const std::string drift = compare_observed(before_, *after);
      outcome_.message = report.describe(outcome_.steps) + unplug_hint(*report.failure);
      for (const StepFailure& f : report.undo_failures) outcome_.message += unplug_hint(f);
      outcome_.message += drift.empty() ? " Observed again: the VM is as it was before the apply."
                                        : fmt::format(" Observed again: the VM differs from before: {}.", drift);
      return reply(std::move(outcome_));
    }
    auto rest = diff(desired_, Current{*after, &desired_});
    if (rest && !rest->empty()) {
      outcome_.message = fmt::format("All {} steps succeeded, but the VM still differs from the manifest: {}",
                                     outcome_.steps, rest->summary());
      return reply(std::move(outcome_));
    }
    record(fmt::format("Applied {} change(s) in {} steps. {}", outcome_.diff.changes.size(), outcome_.steps,
                       outcome_.diff.summary()));
  }

  // The VM now matches the manifest: it becomes the applied one, on disk first.
  void record(std::string message) {
    if (auto saved = save_applied_manifest(owner_.state_, desired_); !saved) {
      return reply(unexpected(std::move(saved).error()));
    }
    owner_.applied_ = std::move(desired_);
    outcome_.ok = true;
    outcome_.message = std::move(message);
    reply(std::move(outcome_));
  }

  void reply(Result<ApplyOutcome> outcome) {
    Reconciler& owner = owner_;
    auto done = std::move(done_);
    owner.job_.reset();  // destroys this job (and its runner, which allows that in its callback)
    if (outcome && owner.hooks_.log) owner.hooks_.log(outcome->message);
    done(std::move(outcome));
  }

  Reconciler& owner_;
  Vm desired_;
  const bool allow_restart_;
  std::function<void(Result<ApplyOutcome>)> done_;
  ApplyOutcome outcome_;
  ResourceSet before_;  // observed before the steps: what a failed apply must leave as it was
  std::unique_ptr<StepRunner> runner_;
};

Reconciler::~Reconciler() = default;

void Reconciler::apply(Vm desired, bool allow_restart, std::function<void(Result<ApplyOutcome>)> done) {
  if (job_) {
    done(unexpected(Error("Another apply is in progress; try again when it has finished.", EBUSY)));
    return;
  }
  if (auto chains = use_disk_chains(desired); !chains) return done(unexpected(std::move(chains).error()));
  job_ = std::make_unique<ApplyJob>(*this, std::move(desired), allow_restart, std::move(done));
  job_->start();
}

}  // namespace vmforge::supervisor
