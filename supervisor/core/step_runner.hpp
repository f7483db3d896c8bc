// StepRunner: executes plan steps (compiler/plan/plan.hpp) over the asynchronous QMP client. The
// one executor for both the boot plan and live changes (`vmforge apply`):
//   - steps of one resource run in order, each after the previous one completed, except that
//     a step with an undo is sent right behind earlier ones that complete on their reply
//     (QEMU executes in-band commands in order, so they have run when it runs; if one of them
//     fails, this one fails too or is undone); steps of different resources are pipelined;
//   - a step completes on its reply, or for Completion::event on its reply AND the named
//     event for its device (e.g. DEVICE_DELETED with data.device == id), within the timeout,
//     as the QMP client executes a QmpCall (a guest refusing an unplug fails it at once);
//   - one unplug (device_del) at a time: a guest told of several at once ejects them again
//     later, and with them what was plugged in since (step_runner.cpp, unplugs());
//   - a step at or after a barrier starts only once every step before the barrier completed;
//   - on the first failure nothing new starts; once the steps in flight have settled, the
//     undo calls of the completed steps run one at a time, newest first (unless disabled);
//     once an undo of a resource fails, its older undos are not tried (a backend is deleted
//     only after its device is gone, in undo as in apply).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

/// One failed call: which step (index into the steps given), what and why.
struct StepFailure {
  std::size_t index = 0;
  std::string resource;
  std::string command;
  Error error;
};

struct StepReport {
  std::vector<std::size_t> completed;  // step indices, in completion order
  std::optional<StepFailure> failure;  // the first failure; later ones only add to `settled`
  std::vector<std::size_t> undone;     // steps whose undo succeeded, in undo order
  std::vector<StepFailure> undo_failures;
  /// Steps whose undo was not tried because a newer undo of the same resource failed.
  struct Kept {
    std::size_t index = 0;
    std::string resource;
  };
  std::vector<Kept> kept;

  bool ok() const { return !failure; }
  /// "Step 3/5 (disk:data1: device_add) failed: …", plus what was undone and what not.
  std::string describe(std::size_t total) const;
};

enum class StepPhase { started, completed, failed, undo_started, undone, undo_failed };
std::string_view to_string(StepPhase phase);

struct StepRunnerOptions {
  /// Run the undo calls after a failure. The boot plan turns this off: QEMU is quit anyway,
  /// and an unplug in a paused machine would only wait for its timeout.
  bool undo_on_failure = true;
  /// Step indices before which every earlier step must have completed (additions before
  /// removals: nothing is removed until every addition succeeded).
  std::vector<std::size_t> barriers;
  /// Time limit for a reply when the step's completion has none.
  std::chrono::milliseconds reply_timeout{30000};
  /// Told about each call as it starts and ends (event streams, logs).
  std::function<void(std::size_t index, const PlanStep& step, StepPhase phase)> on_progress;
};

class StepRunner {
 public:
  using Done = std::function<void(StepReport report)>;

  /// Starts running `steps` on `client` (which must outlive the runner). `done` is called
  /// exactly once, from the event loop, never from within start(); the runner may be
  /// destroyed inside it. Destroying the runner earlier cancels what is in flight, and
  /// `done` is not called.
  static Result<std::unique_ptr<StepRunner>> start(sd_event* event, qmp::Client& client, std::vector<PlanStep> steps,
                                                   StepRunnerOptions options, Done done);
  ~StepRunner();
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

 private:
  enum class State { waiting, running, completed, failed };
  struct Call;

  StepRunner(sd_event* event, qmp::Client& client, std::vector<PlanStep> steps, StepRunnerOptions options, Done done);
  Result<void> on_kick();
  void pump();
  void issue(std::size_t index, bool undo);
  void call_replied(Call* call, Result<JsonValue> reply);
  void call_ended(Call* call, Result<void> outcome);
  void next_undo();
  void finish();
  void progress(std::size_t index, StepPhase phase);

  sd_event* event_;
  qmp::Client& client_;
  std::vector<PlanStep> steps_;
  std::vector<State> state_;
  StepRunnerOptions options_;
  Done done_;
  StepReport report_;
  std::map<Call*, std::unique_ptr<Call>> in_flight_;
  std::vector<std::size_t> undo_queue_;  // step indices, next last
  std::set<std::string> undo_failed_;    // resources with a failed undo
  bool undoing_ = false;
  bool finished_ = false;
  sd::EventSource kick_;  // defers the first pump and the final `done` to the loop
};

}  // namespace vmforge::supervisor
