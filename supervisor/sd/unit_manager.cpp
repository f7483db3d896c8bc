// The manager's D-Bus API, as systemctl calls it.
#include "supervisor/sd/unit_manager.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "supervisor/sd/bus_call.hpp"

namespace vmforge::sd {
namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

std::uint64_t now_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

// JobRemoved(u id, o job, s unit, s result): queued for next_finished_job().
int on_job_removed(sd_bus_message* message, void* userdata, sd_bus_error*) {
  std::uint32_t id = 0;
  const char* job = nullptr;
  const char* unit = nullptr;
  const char* result = nullptr;
  if (libsystemd().sd_bus_message_read(message, "uoss", &id, &job, &unit, &result) < 0) return 0;
  static_cast<std::deque<FinishedJob>*>(userdata)->push_back({job, unit, result});
  return 0;
}

Result<std::string> read_object_path(BusMessagePtr reply, std::string_view what) {
  const char* path = nullptr;
  int r = libsystemd().sd_bus_message_read(reply.get(), "o", &path);
  if (r < 0) return unexpected(bus_parse_error(what, r));
  return std::string(path);
}

}  // namespace

Result<UnitManager> UnitManager::connect(ManagerScope scope) {
  VMFORGE_TRY(ManagerBus bus, connect_manager(scope));
  UnitManager manager(std::move(bus));
  sd_bus_slot* slot = nullptr;
  // A direct connection has no bus driver: the manager's messages carry no sender to match.
  int r = libsystemd().sd_bus_match_signal(manager.bus_.bus.get(), &slot, manager.bus_.direct ? nullptr : kService,
                                           kPath, kManager, "JobRemoved", on_job_removed, manager.finished_.get());
  if (r < 0) return unexpected(Error(fmt::format("Failed to watch the manager's jobs: {}", std::strerror(-r)), -r));
  manager.job_removed_.reset(slot);
  // The manager signals job completions to subscribers (and to the job's own client).
  VMFORGE_TRY_VOID(call_method(manager.bus_.bus.get(), kService, kPath, kManager, "Subscribe",
                               "subscribe to the service manager's signals", ""));
  return manager;
}

Result<std::string> UnitManager::job_call(const char* method, std::string_view unit, std::string_view verb) {
  std::string name(unit);
  std::string what = fmt::format("{} '{}'", verb, unit);
  VMFORGE_TRY(BusMessagePtr reply,
              call_method(bus_.bus.get(), kService, kPath, kManager, method, what, "ss", name.c_str(), "replace"));
  return read_object_path(std::move(reply), what);
}

Result<std::string> UnitManager::start_unit(std::string_view unit) { return job_call("StartUnit", unit, "start"); }
Result<std::string> UnitManager::stop_unit(std::string_view unit) { return job_call("StopUnit", unit, "stop"); }

Result<FinishedJob> UnitManager::next_finished_job(std::chrono::milliseconds timeout) {
  const Libsystemd& lib = libsystemd();
  const std::uint64_t deadline = now_usec() + static_cast<std::uint64_t>(timeout.count()) * 1000;
  while (finished_->empty()) {
    int r = lib.sd_bus_process(bus_.bus.get(), nullptr);
    if (r < 0)
      return unexpected(Error(fmt::format("Lost the connection to the service manager: {}", std::strerror(-r)), -r));
    if (r > 0) continue;
    const std::uint64_t now = now_usec();
    if (now >= deadline) {
      return unexpected(
          Error(fmt::format("Timed out after {} s waiting for the service manager's job.", timeout.count() / 1000),
                ETIMEDOUT));
    }
    r = lib.sd_bus_wait(bus_.bus.get(), deadline - now);
    if (r < 0 && r != -EINTR) {
      return unexpected(Error(fmt::format("Failed to wait for the service manager: {}", std::strerror(-r)), -r));
    }
  }
  FinishedJob job = std::move(finished_->front());
  finished_->pop_front();
  return job;
}

// EnableUnitFiles(as files, b runtime, b force) -> (b carries_install_info, a(sss) changes);
// DisableUnitFiles(as files, b runtime) -> a(sss) changes.
Result<bool> UnitManager::unit_files_call(const char* method, std::string_view unit, std::string_view verb,
                                          bool enable) {
  std::string name(unit);
  std::string what = fmt::format("{} '{}'", verb, unit);
  const Libsystemd& lib = libsystemd();
  BusMessagePtr reply;
  if (enable) {
    VMFORGE_TRY(auto r,
                call_method(bus_.bus.get(), kService, kPath, kManager, method, what, "asbb", 1, name.c_str(), 0, 0));
    reply = std::move(r);
    int carries = 0;
    if (int e = lib.sd_bus_message_read(reply.get(), "b", &carries); e < 0) return unexpected(bus_parse_error(what, e));
  } else {
    VMFORGE_TRY(auto r,
                call_method(bus_.bus.get(), kService, kPath, kManager, method, what, "asb", 1, name.c_str(), 0));
    reply = std::move(r);
  }
  int r = lib.sd_bus_message_enter_container(reply.get(), 'a', "(sss)");
  if (r < 0) return unexpected(bus_parse_error(what, r));
  bool changed = false;
  for (;;) {
    const char* type = nullptr;
    const char* path = nullptr;
    const char* source = nullptr;
    r = lib.sd_bus_message_read(reply.get(), "(sss)", &type, &path, &source);
    if (r < 0) return unexpected(bus_parse_error(what, r));
    if (r == 0) break;
    changed = true;
  }
  return changed;
}

Result<bool> UnitManager::enable(std::string_view unit) {
  return unit_files_call("EnableUnitFiles", unit, "enable", true);
}
Result<bool> UnitManager::disable(std::string_view unit) {
  return unit_files_call("DisableUnitFiles", unit, "disable", false);
}

Result<void> UnitManager::reload() {
  VMFORGE_TRY_VOID(call_method(bus_.bus.get(), kService, kPath, kManager, "Reload", "reload the service manager", ""));
  return {};
}

Result<std::optional<std::string>> UnitManager::unit_of_pid(pid_t pid) {
  std::string what = fmt::format("find the unit of PID {}", pid);
  BusError error;
  sd_bus_message* raw = nullptr;
  int r = libsystemd().sd_bus_call_method(bus_.bus.get(), kService, kPath, kManager, "GetUnitByPID", &error.error, &raw,
                                          "u", static_cast<std::uint32_t>(pid));
  if (r < 0) {
    if (libsystemd().sd_bus_error_has_name(&error.error, "org.freedesktop.systemd1.NoUnitForPID")) {
      return std::optional<std::string>();
    }
    return unexpected(bus_call_error(what, r, error));
  }
  VMFORGE_TRY(std::string path, read_object_path(BusMessagePtr(raw), what));
  VMFORGE_TRY(std::string id, string_property(path, "org.freedesktop.systemd1.Unit", "Id", what));
  return std::optional<std::string>(std::move(id));
}

Result<std::string> UnitManager::service_result(std::string_view unit) {
  std::string name(unit);
  std::string what = fmt::format("read the result of '{}'", unit);
  VMFORGE_TRY(BusMessagePtr reply,
              call_method(bus_.bus.get(), kService, kPath, kManager, "GetUnit", what, "s", name.c_str()));
  VMFORGE_TRY(std::string path, read_object_path(std::move(reply), what));
  return string_property(path, "org.freedesktop.systemd1.Service", "Result", what);
}

Result<std::string> UnitManager::string_property(const std::string& path, const char* interface, const char* property,
                                                 std::string_view what) {
  BusError error;
  char* value = nullptr;
  int r = libsystemd().sd_bus_get_property_string(bus_.bus.get(), kService, path.c_str(), interface, property,
                                                  &error.error, &value);
  if (r < 0) return unexpected(bus_call_error(what, r, error));
  std::string text(value);
  std::free(value);
  return text;
}

}  // namespace vmforge::sd
