// StepRunner: per-resource ordering, pipelining across resources, reply/event completion with
// timeouts, and undo after a failure.
#include "supervisor/core/step_runner.hpp"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "supervisor/core/qemu_access.hpp"
#include "supervisor/sd/event_loop.hpp"

namespace vmforge::supervisor {

// One QMP call in flight: a step or an undo.
struct StepRunner::Call {
  StepRunner* runner = nullptr;
  std::size_t index = 0;
  bool undo = false;
  const QmpCall* qmp = nullptr;
  qmp::CommandId command = 0;
  bool replied = false;
};

std::string_view to_string(StepPhase phase) {
  switch (phase) {
    case StepPhase::started: return "started";
    case StepPhase::completed: return "completed";
    case StepPhase::failed: return "failed";
    case StepPhase::undo_started: return "undo-started";
    case StepPhase::undone: return "undone";
    case StepPhase::undo_failed: return "undo-failed";
  }
  return "unknown";
}

std::string StepReport::describe(std::size_t total) const {
  if (!failure) return fmt::format("All {} steps completed.", total);
  std::string text = fmt::format("Step {}/{} ({}: {}) failed: {}", failure->index + 1, total, failure->resource,
                                 failure->command, failure->error.message);
  if (!undone.empty()) text += fmt::format(" Undid {} earlier step(s).", undone.size());
  for (const StepFailure& f : undo_failures) {
    text += fmt::format(" Could not undo step {} ({}: {}): {}", f.index + 1, f.resource, f.command, f.error.message);
  }
  std::set<std::string> shown;
  for (const Kept& k : kept) {
    if (!shown.insert(k.resource).second) continue;
    text += fmt::format(" Left the rest of '{}' in place: its backends stay while its device may still use them.",
                        k.resource);
  }
  return text;
}

StepRunner::StepRunner(sd_event* event, qmp::Client& client, std::vector<PlanStep> steps, StepRunnerOptions options,
                       Done done)
    : event_(event),
      client_(client),
      steps_(std::move(steps)),
      state_(steps_.size(), State::waiting),
      options_(std::move(options)),
      done_(std::move(done)) {}

Result<std::unique_ptr<StepRunner>> StepRunner::start(sd_event* event, qmp::Client& client, std::vector<PlanStep> steps,
                                                      StepRunnerOptions options, Done done) {
  std::unique_ptr<StepRunner> self(
      new StepRunner(event, client, std::move(steps), std::move(options), std::move(done)));
  VMFORGE_TRY(self->kick_, sd::add_defer<&StepRunner::on_kick>(event, self.get(), "step-runner"));
  VMFORGE_TRY_VOID(self->kick_.set_enabled(sd::Enabled::oneshot));
  return self;
}

StepRunner::~StepRunner() {
  for (auto& [ptr, call] : in_flight_) {
    if (!call->replied) (void)client_.cancel(call->command);
  }
}

Result<void> StepRunner::on_kick() {
  if (!finished_) {
    pump();
    return {};
  }
  Done done = std::move(done_);
  done(std::move(report_));  // may destroy this runner: nothing may follow
  return {};
}

namespace {

// Unplugs go out one at a time. QEMU 7.2's ACPI PCI hotplug announces every pending unplug
// again with each hotplug event, Linux queues one eject per announcement, and QEMU's eject
// empties the slot of whatever is in it by then: with unplugs sent together, the guest ejected
// slots a second time, late, and removed devices the next apply had plugged into the freed ports.
bool unplugs(const PlanStep& step) { return step.call.command == "device_del"; }

}  // namespace

void StepRunner::pump() {
  if (report_.failure) {
    if (!in_flight_.empty()) return;
    if (options_.undo_on_failure && !undoing_) {
      undoing_ = true;
      for (std::size_t index : report_.completed) {
        if (steps_[index].undo) undo_queue_.push_back(index);
      }
      next_undo();
      return;
    }
    finish();
    return;
  }
  bool all_done = true;
  bool unplugging = false;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (state_[i] == State::running && unplugs(steps_[i])) unplugging = true;
  }
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (state_[i] != State::completed) all_done = false;
    if (state_[i] != State::waiting) continue;
    bool ready = !(unplugging && unplugs(steps_[i]));
    std::size_t barrier = 0;
    for (std::size_t b : options_.barriers) {
      if (b <= i) barrier = std::max(barrier, b);
    }
    for (std::size_t j = 0; j < barrier && ready; ++j) ready = state_[j] == State::completed;
    for (std::size_t j = 0; j < i && ready; ++j) {
      ready =
          steps_[j].resource != steps_[i].resource || state_[j] == State::completed ||
          (state_[j] == State::running && steps_[j].call.completion.kind == Completion::Kind::reply && steps_[i].undo);
    }
    if (ready) {
      if (unplugs(steps_[i])) unplugging = true;
      issue(i, /* undo= */ false);
      if (report_.failure) return;  // issue() failed synchronously and already re-pumped
    }
  }
  if (all_done && in_flight_.empty()) finish();
}

void StepRunner::issue(std::size_t index, bool undo) {
  auto owned = std::make_unique<Call>();
  Call* call = owned.get();
  call->runner = this;
  call->index = index;
  call->undo = undo;
  call->qmp = undo ? &*steps_[index].undo : &steps_[index].call;
  in_flight_.emplace(call, std::move(owned));
  if (!undo) state_[index] = State::running;
  progress(index, undo ? StepPhase::undo_started : StepPhase::started);

  // A file for QEMU (add-fd) is opened here, by the supervisor, and sent with the command.
  UniqueFd file;
  if (call->qmp->file) {
    auto opened = open_for_qemu(*call->qmp->file);
    if (!opened) {
      call->replied = true;  // never sent: nothing to cancel
      call_ended(call, unexpected(std::move(opened).error()));
      return;
    }
    file = std::move(*opened);
  }
  const int file_fd = file.get();
  const auto fds = file ? std::span<const int>(&file_fd, 1) : std::span<const int>();

  // The client waits for the completion's event too, within the completion's timeout.
  const std::uint32_t limit_ms = call->qmp->completion.timeout_ms;
  auto id = client_.execute(
      *call->qmp, limit_ms > 0 ? std::chrono::milliseconds(limit_ms) : options_.reply_timeout,
      [this, call](Result<JsonValue> reply) { call_replied(call, std::move(reply)); }, fds);
  if (!id) {
    call->replied = true;  // never sent: nothing to cancel
    call_ended(call, unexpected(std::move(id).error()));
    return;
  }
  call->command = *id;
}

void StepRunner::call_replied(Call* call, Result<JsonValue> reply) {
  call->replied = true;
  if (!reply) return call_ended(call, unexpected(std::move(reply).error()));
  call_ended(call, {});
}

void StepRunner::call_ended(Call* call, Result<void> outcome) {
  auto node = in_flight_.extract(call);
  if (node.empty()) return;  // already ended (a reply racing its timeout)
  if (!call->replied) (void)client_.cancel(call->command);

  std::size_t index = call->index;
  auto failure = [&] {
    return StepFailure{index, steps_[index].resource, call->qmp->command, std::move(outcome).error()};
  };
  if (call->undo) {
    if (outcome) {
      report_.undone.push_back(index);
    } else {
      undo_failed_.insert(steps_[index].resource);
      report_.undo_failures.push_back(failure());
    }
    progress(index, outcome ? StepPhase::undone : StepPhase::undo_failed);
    next_undo();
    return;
  }
  if (outcome) {
    state_[index] = State::completed;
    report_.completed.push_back(index);
    progress(index, StepPhase::completed);
  } else {
    state_[index] = State::failed;
    if (!report_.failure) report_.failure = failure();
    progress(index, StepPhase::failed);
  }
  pump();
}

void StepRunner::next_undo() {
  while (!undo_queue_.empty()) {
    std::size_t index = undo_queue_.back();
    undo_queue_.pop_back();
    if (!undo_failed_.count(steps_[index].resource)) {
      issue(index, /* undo= */ true);
      return;
    }
    report_.kept.push_back({index, steps_[index].resource});
  }
  finish();
}

void StepRunner::finish() {
  if (finished_) return;
  finished_ = true;
  // Deliver from the loop, never from inside a QMP callback or start().
  (void)kick_.set_enabled(sd::Enabled::oneshot);
}

void StepRunner::progress(std::size_t index, StepPhase phase) {
  if (options_.on_progress) options_.on_progress(index, steps_[index], phase);
}

}  // namespace vmforge::supervisor
