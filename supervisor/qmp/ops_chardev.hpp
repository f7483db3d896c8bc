// Typed QMP operations: character devices and virtio-serial ports.
#pragma once

#include <string>
#include <string_view>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// chardev-add of a unix socket backend (govmm's ExecuteCharDevUnixSocketAdd).
struct ChardevSocketAdd {
  std::string id;
  std::string path;
  bool server = true;
  bool wait = false;  // only meaningful with server
};
Command chardev_add_socket(const ChardevSocketAdd& chardev);
/// chardev-add of a file backend: what the guest writes goes to `path`.
Command chardev_add_file(std::string_view id, std::string_view path);
/// Fails with "Chardev '…' is busy" while a device still uses it.
Command chardev_remove(std::string_view id);

/// device_add of a virtio-serial-pci controller; its port bus is "<id>.0".
Command device_add_serial_controller(std::string_view id, std::string_view bus);

/// device_add of a virtserialport (govmm's ExecuteVirtSerialPortAdd).
struct SerialPortAdd {
  std::string id;
  std::string chardev;
  std::string name;  // the guest sees /sys/class/virtio-ports/*/name
  std::string bus;   // "<controller>.0"; empty: QEMU picks
};
Command device_add_serial_port(const SerialPortAdd& port);

}  // namespace vmforge::qmp
