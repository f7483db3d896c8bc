// The Supervisor hooks for plan/apply: one Reconciler per VM, kept across restarts.
#include "supervisor/core/plan_apply.hpp"

#include <fmt/format.h>

#include "compiler/compile.hpp"
#include "compiler/diff_render.hpp"
#include "supervisor/core/applied_manifest.hpp"
#include "supervisor/core/plan_apply_handlers.hpp"
#include "supervisor/core/reconciler.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

struct PlanApply {
  std::unique_ptr<Reconciler> reconciler;
};

void log_outcome(Supervisor& self, std::string_view what, const Result<ApplyOutcome>& outcome) {
  if (!outcome) {
    self.set_status(fmt::format("{} failed: {}", what, outcome.error().message));
    return;
  }
  if (!outcome->diff.empty()) sd::log_notice("{}: {}", what, render_diff_text(outcome->diff));
  self.set_status(fmt::format("{}: {}", what, outcome->message));
}

// A QEMU that outlived its supervisor may differ from the manifest (an apply cut short, a
// change made behind vmforge's back): report the drift, then apply the manifest.
void reconcile_adopted(Supervisor& self, Reconciler& reconciler, std::function<void(Result<void>)> done) {
  self.set_status("Reconciling the adopted QEMU with the manifest.");
  reconciler.apply(self.vm(), false, [&self, done](Result<ApplyOutcome> outcome) {
    log_outcome(self, "Reconciliation", outcome);
    done({});
  });
}

}  // namespace

void install_plan_apply(Supervisor& supervisor) {
  auto shared = std::make_shared<PlanApply>();
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
      shared->reconciler = std::make_unique<Reconciler>(self.event(), *self.qmp(), self.state_dir(), std::move(applied),
                                                        std::move(hooks));
      add_plan_apply_handlers(self.control(), *shared->reconciler);
    }
    if (!self.adopted()) return done({});
    reconcile_adopted(self, *shared->reconciler, std::move(done));
  });
  supervisor.on_reload([shared](Supervisor& self) {
    if (!shared->reconciler) {
      sd::log_warning("Received a reload before QEMU was up, ignoring.");
      return;
    }
    const std::string path = self.vm().source_path;
    auto source = read_manifest(path);
    auto vm = source ? validate_text(source->text, source->path) : unexpected(source.error());
    if (!vm) {
      self.set_status(fmt::format("Reload of '{}' failed:\n{}", path, vm.error().render(source ? source->text : "")));
      return;
    }
    shared->reconciler->apply(std::move(*vm), false, [&self, path](Result<ApplyOutcome> outcome) {
      log_outcome(self, fmt::format("Reload of '{}'", path), outcome);
    });
  });
}

}  // namespace vmforge::supervisor
