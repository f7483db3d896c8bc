// The Supervisor hooks for plan/apply: one Reconciler per VM, kept across restarts. Reloads
// (SIGHUP) are never dropped: one that arrives during an apply runs after it, and any number
// of them coalesce into one read of the file, so its last content wins.
#include "supervisor/core/plan_apply.hpp"

#include <fmt/format.h>

#include "compiler/diff/render.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/applied_manifest.hpp"
#include "supervisor/core/plan_apply_handlers.hpp"
#include "supervisor/core/reconciler.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

struct PlanApply {
  std::unique_ptr<Reconciler> reconciler;
  std::string reload_path;  // the file SIGHUP re-reads: the one `vmforge run` was given
  bool reload_pending = false;
};

void log_outcome(Supervisor& self, std::string_view what, const Result<ApplyOutcome>& outcome) {
  if (!outcome) {
    self.set_status(fmt::format("{} failed: {}", what, outcome.error().message));
    return;
  }
  if (!outcome->diff.empty()) sd::log_notice("{}: {}", what, render_diff_text(outcome->diff));
  self.set_status(fmt::format("{}: {}", what, outcome->message));
}

void reload(Supervisor& self, const std::shared_ptr<PlanApply>& shared);

// Every apply (control socket, reload, reconciliation) goes through here: on success the
// supervisor's manifest follows (status, a later restart), then a reload that arrived
// meanwhile runs.
void run_apply(Supervisor& self, const std::shared_ptr<PlanApply>& shared, Vm desired, bool allow_restart,
               std::function<void(Result<ApplyOutcome>)> done) {
  if (auto refusal = self.refusal_while_migrating("'apply'"); !refusal.empty()) {
    return done(unexpected(Error(std::move(refusal), EBUSY)));
  }
  shared->reconciler->apply(std::move(desired), allow_restart,
                            [&self, shared, done, busy = self.begin_operation("an apply")](Result<ApplyOutcome> outcome) {
    if (outcome && outcome->ok) self.set_applied(shared->reconciler->applied());
    done(std::move(outcome));
    if (shared->reload_pending && !shared->reconciler->busy()) reload(self, shared);
  });
}

void reload(Supervisor& self, const std::shared_ptr<PlanApply>& shared) {
  if (!shared->reconciler || shared->reconciler->busy()) {
    if (!shared->reload_pending) {
      sd::log_notice("The reload of '{}' will run once the {} has finished.", shared->reload_path,
                     shared->reconciler ? "apply in progress" : "start-up");
    }
    shared->reload_pending = true;
    return;
  }
  shared->reload_pending = false;
  const std::string& path = shared->reload_path;
  auto source = read_manifest(path);
  auto vm = source ? validate_text(source->text, source->path) : unexpected(source.error());
  if (!vm) {
    self.set_status(fmt::format("Reload of '{}' failed:\n{}", path, vm.error().render(source ? source->text : "")));
    return;
  }
  run_apply(self, shared, std::move(*vm), false, [&self, path](Result<ApplyOutcome> outcome) {
    log_outcome(self, fmt::format("Reload of '{}'", path), outcome);
  });
}

// A QEMU that outlived its supervisor may differ from the manifest (an apply cut short, a
// change made behind vmforge's back): report the drift, then apply the manifest.
void reconcile_adopted(Supervisor& self, const std::shared_ptr<PlanApply>& shared,
                       std::function<void(Result<void>)> done) {
  self.set_status("Reconciling the adopted QEMU with the manifest.");
  run_apply(self, shared, self.vm(), false, [&self, done](Result<ApplyOutcome> outcome) {
    log_outcome(self, "Reconciliation", outcome);
    done({});
  });
}

}  // namespace

void install_plan_apply(Supervisor& supervisor) {
  auto shared = std::make_shared<PlanApply>();
  shared->reload_path = supervisor.vm().source_path;
  supervisor.on_qmp_ready([shared](Supervisor& self, std::function<void(Result<void>)> done) {
    if (shared->reconciler) {
      shared->reconciler->attach(*self.qmp(), self.vm());
    } else {
      // An adopted QEMU was made from the manifest last applied to it, not from this one.
      Vm applied = self.adopted() ? load_applied_manifest(self.state_dir()).value_or(self.vm()) : self.vm();
      Reconciler::Hooks hooks;
      hooks.log = [](const std::string& line) { sd::log_notice("{}", line); };
      hooks.restart = [&self](const Vm& vm, std::function<void(Result<void>)> restarted) {
        self.restart(vm, std::move(restarted));
      };
      hooks.progress = [&self](std::size_t index, const PlanStep& step, StepPhase phase) {
        self.publish_step(index, step, phase);
      };
      shared->reconciler = std::make_unique<Reconciler>(self.event(), *self.qmp(), self.state_dir(), std::move(applied),
                                                        std::move(hooks));
      add_plan_apply_handlers(self.control(), *shared->reconciler,
                              [&self, shared](Vm desired, bool allow_restart, auto done) {
                                run_apply(self, shared, std::move(desired), allow_restart, std::move(done));
                              });
    }
    if (self.adopted()) {
      reconcile_adopted(self, shared, std::move(done));
      return;
    }
    done({});
    if (shared->reload_pending) reload(self, shared);
  });
  supervisor.on_reload([shared](Supervisor& self) { reload(self, shared); });
}

}  // namespace vmforge::supervisor
