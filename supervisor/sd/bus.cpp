// sd-bus connections (systemctl's order: the manager's private socket first, then the bus).
#include "supervisor/sd/bus.hpp"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "supervisor/sd/bus_call.hpp"

namespace vmforge::sd {
namespace {

// The manager's private socket, or "" when the environment names none.
std::string private_address(ManagerScope scope) {
  if (scope == ManagerScope::system) return "unix:path=/run/systemd/private";
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime == nullptr || *runtime != '/') return "";
  return fmt::format("unix:path={}/systemd/private", runtime);
}

Result<BusPtr> connect_direct(const Libsystemd& lib, const std::string& address) {
  sd_bus* raw = nullptr;
  int r = lib.sd_bus_new(&raw);
  if (r < 0) return unexpected(Error(fmt::format("Failed to allocate a bus connection: {}", std::strerror(-r)), -r));
  BusPtr bus(raw);
  r = lib.sd_bus_set_address(raw, address.c_str());
  if (r >= 0) r = lib.sd_bus_start(raw);
  if (r < 0) return unexpected(Error(fmt::format("Failed to connect to '{}': {}", address, std::strerror(-r)), -r));
  return bus;
}

}  // namespace

void BusUnref::operator()(sd_bus* bus) const noexcept { libsystemd().sd_bus_flush_close_unref(bus); }
void BusMessageUnref::operator()(sd_bus_message* message) const noexcept { libsystemd().sd_bus_message_unref(message); }
void BusSlotUnref::operator()(sd_bus_slot* slot) const noexcept { libsystemd().sd_bus_slot_unref(slot); }

Result<ManagerBus> connect_manager(ManagerScope scope) {
  VMFORGE_TRY(const Libsystemd* lib, load_libsystemd());
  const bool user = scope == ManagerScope::user;
  std::string address = private_address(scope);
  if (!address.empty()) {
    if (auto bus = connect_direct(*lib, address)) return ManagerBus{std::move(*bus), scope, true};
  }
  sd_bus* raw = nullptr;
  int r = user ? lib->sd_bus_open_user(&raw) : lib->sd_bus_open_system(&raw);
  if (r < 0) {
    return unexpected(Error(fmt::format("Failed to connect to the {} service manager: {}. Is systemd running{}?",
                                        user ? "user's" : "system", std::strerror(-r),
                                        user ? " for this user (systemctl --user)" : " (as PID 1)"),
                            -r));
  }
  return ManagerBus{BusPtr(raw), scope, false};
}

Result<BusPtr> connect_system_bus() {
  VMFORGE_TRY(const Libsystemd* lib, load_libsystemd());
  sd_bus* raw = nullptr;
  int r = lib->sd_bus_open_system(&raw);
  if (r < 0) return unexpected(Error(fmt::format("Failed to connect to the system bus: {}", std::strerror(-r)), -r));
  return BusPtr(raw);
}

Error bus_call_error(std::string_view what, int r, const BusError& error) {
  const char* message = error.error.message != nullptr ? error.error.message : std::strerror(-r);
  return Error(fmt::format("Failed to {}: {}", what, message), -r);
}

Error bus_parse_error(std::string_view what, int r) {
  return Error(fmt::format("Failed to parse the reply to {}: {}", what, std::strerror(-r)), -r);
}

}  // namespace vmforge::sd
