// Supervisor: the destination of a live migration (`run --incoming URI`) and the end of the
// source once its VM has left.
#include <fmt/format.h>

#include "supervisor/core/migration.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {

// QEMU waits in `inmigrate` (without -S: it runs the VM itself once it has it, unless the
// manifest says stopped or the source was paused): the capabilities both ends must agree on,
// then, for `run --incoming`, migrate-incoming (an [incoming] table's QEMU listens by itself, or
// with `defer` waits for the user's migrate-incoming). MIGRATION `completed` makes the VM ready; a failed migration makes
// QEMU exit, and the supervisor with it (on_qemu_exit).
void Supervisor::receive_migration() {
  qemu_->incoming_subscription =
      qemu_->qmp->subscribe("MIGRATION", {}, [this](const qmp::Event& event) { on_incoming_event(event); });
  std::vector<PlanStep> steps;
  steps.push_back({"migration", qmp::migrate_set_capabilities(migration_capabilities(vm_.migration)), std::nullopt});
  steps.push_back({"migration", qmp::migrate_set_parameters(migration_parameters(vm_.migration)), std::nullopt});
  if (incoming_uri_) steps.push_back({"migration", qmp::migrate_incoming(*incoming_uri_), std::nullopt});
  StepRunnerOptions options;
  options.undo_on_failure = false;
  const std::size_t total = steps.size();
  auto runner = StepRunner::start(event_, *qemu_->qmp, std::move(steps), std::move(options),
                                  [this, total](StepReport report) {
                                    qemu_->incoming_runner.reset();
                                    if (!report.ok()) return start_failed(Error(report.describe(total)));
                                    // `inmigrate` once QEMU listens: a source may migrate from now on.
                                    set_state(VmState::inmigrate);
                                    set_status(fmt::format("Waiting for VM '{}' to migrate here{}.", vm_.name,
                                                           incoming_where()));
                                  });
  if (!runner) return start_failed(runner.error());
  qemu_->incoming_runner = std::move(*runner);
}

std::string Supervisor::incoming_where() const {
  return incoming_uri_ ? fmt::format(" on '{}'", *incoming_uri_) : std::string();
}

void Supervisor::on_incoming_event(const qmp::Event& event) {
  const std::string_view status = event.data.get_string("status").value_or("");
  if (status == "active") {
    set_status(fmt::format("Receiving VM '{}'{}.", vm_.name, incoming_where()));
  } else if (status == "completed") {
    qemu_->qmp->unsubscribe(qemu_->incoming_subscription);
    qemu_->incoming_subscription = 0;
    sd::log_notice("VM '{}' migrated here{}.", vm_.name, incoming_where());
    incoming_uri_.reset();  // a restart from now on boots from the manifest
    become_ready();
  } else if (status == "failed") {
    // QEMU exits right after this; its output says why.
    sd::log_error("The incoming migration of VM '{}'{} failed.", vm_.name, incoming_where());
  }
}

void Supervisor::migrated(std::string_view text) {
  set_state(VmState::migrated);
  announce(sd::LogLevel::notice, text);
  request_stop("The VM runs on the destination");
}

}  // namespace vmforge::supervisor
