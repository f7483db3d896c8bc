// Typed QMP operations: character devices, virtio-serial controllers and the frontends on a
// chardev (ports, consoles, UARTs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/qmp/call.hpp"
#include "compiler/qmp/ops_device.hpp"

namespace vmforge::qmp {

/// chardev-add of a unix socket backend (govmm's ExecuteCharDevUnixSocketAdd).
struct ChardevSocketAdd {
  std::string id;
  std::string path;
  bool server = true;
  bool wait = false;  // only meaningful with server
};
QmpCall chardev_add_socket(const ChardevSocketAdd& chardev);
/// chardev-add of a file backend: what the guest writes goes to `path`.
QmpCall chardev_add_file(std::string_view id, std::string_view path);
/// chardev-add of a named pipe (`path`.in / `path`.out, or `path` itself).
QmpCall chardev_add_pipe(std::string_view id, std::string_view path);
/// chardev-add of a host serial line (a tty device).
QmpCall chardev_add_serial(std::string_view id, std::string_view device);
QmpCall chardev_add_pty(std::string_view id);
QmpCall chardev_add_null(std::string_view id);
/// Fails with "Chardev '…' is busy" while a device still uses it.
QmpCall chardev_remove(std::string_view id);

/// device_add of a virtio-serial controller; its port bus is "<id>.0".
struct SerialControllerAdd {
  std::string driver = "virtio-serial-pci";
  std::string id;
  DevicePlacement placement;
  std::optional<std::uint32_t> max_ports;
};
std::string arguments(const SerialControllerAdd& controller);

/// device_add of a frontend on a chardev: a virtserialport (govmm's ExecuteVirtSerialPortAdd),
/// a virtconsole, or an isa-serial UART.
struct SerialPortAdd {
  std::string driver = "virtserialport";
  std::string id;
  std::string bus;  // "<controller>.0"; empty: QEMU picks
  std::string chardev;
  std::string name;  // the guest sees /sys/class/virtio-ports/*/name
};
std::string arguments(const SerialPortAdd& port);

}  // namespace vmforge::qmp
