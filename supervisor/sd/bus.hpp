// Connections to D-Bus peers through sd-bus: the service manager (systemd, to start, stop and
// enable units) and the system bus (systemd-machined). sd-bus types appear here only as
// forward declarations; bus.cpp and its siblings call libsystemd through libsystemd.hpp.
#pragma once

#include <memory>
#include <string>

#include "compiler/base/result.hpp"

struct sd_bus;
struct sd_bus_message;
struct sd_bus_slot;

namespace vmforge::sd {

struct BusUnref {
  void operator()(sd_bus* bus) const noexcept;  // flushes, closes, unrefs
};
using BusPtr = std::unique_ptr<sd_bus, BusUnref>;

struct BusMessageUnref {
  void operator()(sd_bus_message* message) const noexcept;
};
using BusMessagePtr = std::unique_ptr<sd_bus_message, BusMessageUnref>;

struct BusSlotUnref {
  void operator()(sd_bus_slot* slot) const noexcept;
};
using BusSlotPtr = std::unique_ptr<sd_bus_slot, BusSlotUnref>;

/// Which service manager: the system's (PID 1) or the calling user's (`systemctl --user`).
enum class ManagerScope { system, user };

/// A connection to the service manager, as systemctl makes it: its private socket
/// (/run/systemd/private, or $XDG_RUNTIME_DIR/systemd/private), else the system or session
/// bus. `direct` says which: a direct connection has no bus driver, so messages name no sender.
struct ManagerBus {
  BusPtr bus;
  ManagerScope scope = ManagerScope::system;
  bool direct = false;
};
Result<ManagerBus> connect_manager(ManagerScope scope);

/// The system bus (dbus-daemon), for services other than the manager.
Result<BusPtr> connect_system_bus();

}  // namespace vmforge::sd
