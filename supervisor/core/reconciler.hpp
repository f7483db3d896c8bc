// Reconciler: makes the running VM match a manifest. Observes QEMU, diffs, runs the live steps
// with the StepRunner (pipelined, undone on failure), observes again to prove the outcome,
// and persists the manifest only when the apply succeeded. `plan` is the same minus the steps.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/diff/diff.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/core/step_runner.hpp"
#include "supervisor/qmp/client.hpp"

namespace vmforge::supervisor {

struct ApplyOutcome {
  Diff diff;
  /// Set when live steps ran.
  std::optional<StepReport> report;
  std::size_t steps = 0;
  /// The VM was restarted with the new argv (--allow-restart).
  bool restarted = false;
  /// One paragraph for people: what was done, or what failed and what was undone.
  std::string message;
  bool ok = false;
};

class Reconciler {
 public:
  struct Hooks {
    /// Log lines, in systemd's wording.
    std::function<void(const std::string&)> log;
    /// Graceful stop, then start with `desired`'s argv; calls `done` once QEMU runs again.
    std::function<void(const Vm& desired, std::function<void(Result<void>)> done)> restart;
    /// Told about each live step as it starts and ends (the supervisor's STEP events).
    std::function<void(std::size_t index, const PlanStep& step, StepPhase phase)> progress;
  };

  /// `applied` is the manifest the VM was last made from (it names what vmforge created).
  Reconciler(sd_event* event, qmp::Client& client, StateDir state, Vm applied, Hooks hooks);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  /// Observes and diffs; `done` gets the diff.
  void plan(Vm desired, std::function<void(Result<Diff>)> done);
  /// Observes, diffs and applies. A second apply while one runs fails (EBUSY). `done` gets
  /// the outcome; an Error only when nothing could be tried (QMP down, manifest unusable).
  void apply(Vm desired, bool allow_restart, std::function<void(Result<ApplyOutcome>)> done);

  /// After a restart: the new QEMU's client and the manifest it was started from.
  void attach(qmp::Client& client, Vm applied);

  const Vm& applied() const { return applied_; }
  const StateDir& state() const { return state_; }
  bool busy() const { return job_ != nullptr; }

 private:
  Result<void> use_disk_chains(Vm& desired);
  /// The apply in progress, one method per stage (reconciler.cpp).
  class ApplyJob;

  sd_event* event_;
  qmp::Client* client_;
  StateDir state_;
  Vm applied_;
  Hooks hooks_;
  /// ObserveContext::freed_ports: root ports whose device an apply unplugged, newest last.
  std::vector<std::string> freed_ports_;
  /// ObserveContext::freed_slots: the same for slots of pci.0 (pc).
  std::vector<std::uint8_t> freed_slots_;
  std::unique_ptr<ApplyJob> job_;
};

/// The resource sets differ in what a failed apply must leave unchanged: devices, block
/// nodes, chardevs, netdevs and objects. Returns the keys that differ ("" when none).
std::string compare_observed(const ResourceSet& before, const ResourceSet& after);

}  // namespace vmforge::supervisor
