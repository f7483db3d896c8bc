// The service manager over D-Bus (org.freedesktop.systemd1): start, stop, enable and disable
// units, wait for their jobs, reload. What `vmforge apply DIR` drives systemd with.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "supervisor/sd/bus.hpp"

namespace vmforge::sd {

/// A job the manager finished (its JobRemoved signal): "done", "failed", "timeout",
/// "canceled", "dependency", "skipped".
struct FinishedJob {
  std::string job;  // object path, as start_unit()/stop_unit() returned it
  std::string unit;
  std::string result;
};

class UnitManager {
 public:
  /// Connects (connect_manager) and subscribes to job completions before any job exists, so
  /// none is missed.
  static Result<UnitManager> connect(ManagerScope scope);

  ManagerScope scope() const { return bus_.scope; }

  /// Enqueues a start (StartUnit, mode "replace") or stop job; returns the job's object path.
  Result<std::string> start_unit(std::string_view unit);
  Result<std::string> stop_unit(std::string_view unit);
  /// The next job the manager finished, waiting up to `timeout` for one.
  Result<FinishedJob> next_finished_job(std::chrono::milliseconds timeout);

  /// EnableUnitFiles / DisableUnitFiles (persistent, not runtime); whether a link changed.
  Result<bool> enable(std::string_view unit);
  Result<bool> disable(std::string_view unit);
  /// daemon-reload: the manager reads unit files and drop-ins again; returns once it has.
  Result<void> reload();

  /// The unit process `pid` belongs to (GetUnitByPID), nullopt when in none of this manager's.
  Result<std::optional<std::string>> unit_of_pid(pid_t pid);
  /// A service's Result property ("success", "exit-code", "timeout", "watchdog", ...).
  Result<std::string> service_result(std::string_view unit);

 private:
  explicit UnitManager(ManagerBus bus) : bus_(std::move(bus)) {}
  Result<std::string> job_call(const char* method, std::string_view unit, std::string_view verb);
  Result<bool> unit_files_call(const char* method, std::string_view unit, std::string_view verb, bool enable);
  Result<std::string> string_property(const std::string& path, const char* interface, const char* property,
                                      std::string_view what);

  ManagerBus bus_;
  BusSlotPtr job_removed_;
  // On the heap: the signal handler keeps its address while the manager moves.
  std::unique_ptr<std::deque<FinishedJob>> finished_ = std::make_unique<std::deque<FinishedJob>>();
};

}  // namespace vmforge::sd
