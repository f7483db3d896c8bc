// org.freedesktop.machine1.Manager: RegisterMachine / UnregisterMachine.
#include "supervisor/sd/machined.hpp"

#include <fmt/format.h>

#include "supervisor/sd/bus_call.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::sd {
namespace {

constexpr const char* kService = "org.freedesktop.machine1";
constexpr const char* kPath = "/org/freedesktop/machine1";
constexpr const char* kManager = "org.freedesktop.machine1.Manager";

Result<void> unregister(sd_bus* bus, const std::string& name) {
  VMFORGE_TRY_VOID(call_method(bus, kService, kPath, kManager, "UnregisterMachine",
                               fmt::format("unregister machine '{}' from systemd-machined", name), "s", name.c_str()));
  return {};
}

}  // namespace

Result<MachineRegistration> MachineRegistration::register_vm(const std::string& name, pid_t qemu_pid) {
  VMFORGE_TRY(BusPtr bus, connect_system_bus());
  std::string what = fmt::format("register machine '{}' with systemd-machined", name);
  for (int attempt = 0;; ++attempt) {
    // RegisterMachine(s name, ay id, s service, s class, u leader, s root_directory); no id.
    BusError error;
    sd_bus_message* reply = nullptr;
    int r = libsystemd().sd_bus_call_method(bus.get(), kService, kPath, kManager, "RegisterMachine", &error.error,
                                            &reply, "sayssus", name.c_str(), 0, "vmforge", "vm",
                                            static_cast<std::uint32_t>(qemu_pid), "");
    BusMessagePtr owned(reply);
    if (r >= 0) return MachineRegistration(name);
    // A supervisor that died (the watchdog, a crash) did not unregister its QEMU's machine.
    if (attempt > 0 || !libsystemd().sd_bus_error_has_name(&error.error, "org.freedesktop.machine1.MachineExists")) {
      return unexpected(bus_call_error(what, r, error));
    }
    VMFORGE_TRY_VOID(unregister(bus.get(), name));
  }
}

MachineRegistration::~MachineRegistration() {
  if (name_.empty()) return;
  auto bus = connect_system_bus();
  auto done = bus ? unregister(bus->get(), name_) : Result<void>(unexpected(bus.error()));
  if (!done) log_message(LogLevel::debug, done.error().message);
}

}  // namespace vmforge::sd
