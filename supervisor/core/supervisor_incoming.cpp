// Supervisor: the destination of a live migration (`run --incoming URI`) and the end of the
// source once its VM has left.
#include <fmt/format.h>

#include "compiler/lower/lower.hpp"
#include "supervisor/core/incoming_handshake.hpp"
#include "supervisor/core/migration.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::chrono::milliseconds kIncomingTimeout{10000};

}  // namespace

// QEMU waits in `inmigrate` (without -S: it runs the VM itself once it has it, unless the
// manifest says stopped or the source was paused): the capabilities both ends must agree on,
// then, for `run --incoming`, the handshake with the source's supervisor on the URI
// (migration_handshake.hpp) and migrate-incoming (an [incoming] table's QEMU listens by
// itself, or with `defer` waits for the user's migrate-incoming). MIGRATION `completed` makes
// the VM ready; a failed migration makes QEMU exit, and the supervisor with it (on_qemu_exit).
void Supervisor::receive_migration() {
  qemu_->incoming_subscription =
      qemu_->qmp->subscribe("MIGRATION", {}, [this](const qmp::Event& event) { on_incoming_event(event); });
  std::vector<PlanStep> steps;
  steps.push_back({"migration", qmp::migrate_set_capabilities(migration_capabilities(vm_.migration)), std::nullopt});
  steps.push_back({"migration", qmp::migrate_set_parameters(migration_parameters(vm_.migration)), std::nullopt});
  StepRunnerOptions options;
  options.undo_on_failure = false;
  const std::size_t total = steps.size();
  auto runner = StepRunner::start(event_, *qemu_->qmp, std::move(steps), std::move(options),
                                  [this, total](StepReport report) {
                                    qemu_->incoming_runner.reset();
                                    if (!report.ok()) {
                                      if (handshake_) handshake_->answer(report.describe(total));
                                      return start_failed(Error(report.describe(total)));
                                    }
                                    set_state(VmState::inmigrate);
                                    if (!incoming_uri_) {
                                      return set_status(fmt::format("Waiting for VM '{}' to migrate here.", vm_.name));
                                    }
                                    // Restarted with the source's layout: its supervisor waits for the answer.
                                    if (handshake_ && handshake_->answering()) return accept_source();
                                    listen_migration();
                                  });
  if (!runner) return start_failed(runner.error());
  qemu_->incoming_runner = std::move(*runner);
}

// `inmigrate` once the supervisor listens: a source may migrate from now on.
void Supervisor::listen_migration() {
  auto handshake = IncomingHandshake::listen(event_, *incoming_uri_,
                                             [this](MigrationHello hello) { on_hello(std::move(hello)); });
  if (!handshake) return start_failed(handshake.error());
  handshake_ = std::move(*handshake);
  set_status(fmt::format("Waiting for VM '{}' to migrate here{}.", vm_.name, incoming_where()));
}

// The source's VM has the layout of this QEMU (the common case: nothing plugged live since it
// started), or it cannot be had from this manifest (refused, the source keeps running), or
// this QEMU restarts with it first.
void Supervisor::on_hello(MigrationHello hello) {
  if (hello.vm != vm_.name) {
    return handshake_->answer(fmt::format("this destination waits for VM '{}', not '{}'", vm_.name, hello.vm));
  }
  auto own = pci_pins_of(vm_);
  if (own && *own == hello.pins) {
    handshake_->stop_listening();
    return accept_source();
  }
  Vm pinned = vm_;
  pinned.pci_pins = hello.pins;
  Vm target = pinned;
  target.incoming = Incoming{};
  auto plan = lower(target);
  if (!plan) {
    const std::string why = fmt::format("its PCI devices do not fit the manifest here: {}",
                                        plan.error().render(vm_.source_text));
    sd::log_warning("Refused the migration of VM '{}': {}", vm_.name, why);
    return handshake_->answer(why);
  }
  handshake_->stop_listening();
  announce(sd::LogLevel::notice,
           fmt::format("VM '{}' had devices plugged or unplugged since it started: restarting QEMU here with its PCI "
                       "layout before it migrates.",
                       vm_.name));
  restart_with(std::move(pinned), std::move(*plan), [this](Result<void> outcome) {
    if (!outcome && handshake_) handshake_->answer(outcome.error().message);
  });
}

// QEMU listens on the URI the supervisor's listener left; then the source may send its VM.
void Supervisor::accept_source() {
  auto sent = qemu_->qmp->execute(qmp::migrate_incoming(*incoming_uri_), kIncomingTimeout,
                                  [this](Result<JsonValue> reply) {
                                    if (!reply) {
                                      handshake_->answer(reply.error().message);
                                      return start_failed(reply.error());
                                    }
                                    handshake_->answer("");
                                    set_status(fmt::format("Waiting for VM '{}' to migrate here{}.", vm_.name,
                                                           incoming_where()));
                                  });
  if (!sent) {
    handshake_->answer(sent.error().message);
    start_failed(sent.error());
  }
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
    handshake_.reset();
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

std::string Supervisor::refusal_while_migrating(std::string_view what) const {
  if (!migrating_) return {};
  return fmt::format("VM '{}' is migrating: {} is refused until the migration has ended (a device changed meanwhile "
                     "would not be the destination's). Wait for it ('vmforge status {}' shows its progress), or "
                     "cancel it (Ctrl-C on 'vmforge migrate'), then try again.",
                     vm_.name, what, vm_.name);
}

Supervisor::Operation Supervisor::begin_operation(std::string what) {
  std::erase_if(operations_, [](const std::weak_ptr<const std::string>& op) { return op.expired(); });
  auto op = std::make_shared<const std::string>(std::move(what));
  operations_.push_back(op);
  return op;
}

std::string Supervisor::refusal_while_busy() const {
  for (const std::weak_ptr<const std::string>& weak : operations_) {
    if (auto op = weak.lock()) {
      return fmt::format("VM '{}' has {} under way: 'migrate' is refused until it has ended (the destination would "
                         "not get what it changes). Wait for it to finish, then try again.",
                         vm_.name, *op);
    }
  }
  return {};
}

}  // namespace vmforge::supervisor
