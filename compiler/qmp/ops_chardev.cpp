// Chardev and virtio-serial builders.
#include "compiler/qmp/ops_chardev.hpp"

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {
namespace {

// chardev-add's ChardevBackend: {"id":…,"backend":{"type":…,"data":{…}}}.
QmpCall chardev_add(std::string_view id, std::string_view type, std::string data_json) {
  std::string backend = Arguments().set("type", type).set_json("data", data_json).take();
  return {"chardev-add", Arguments().set("id", id).set_json("backend", backend).take()};
}

QmpCall chardev_add_device(std::string_view id, std::string_view type, std::string_view device) {
  return chardev_add(id, type, Arguments().set("device", device).take());
}

}  // namespace

QmpCall chardev_add_socket(const ChardevSocketAdd& chardev) {
  std::string unix_data = Arguments().set("path", chardev.path).take();
  std::string addr = Arguments().set("type", "unix").set_json("data", unix_data).take();
  Arguments data;
  data.set_json("addr", addr).set("server", chardev.server);
  if (chardev.server) data.set("wait", chardev.wait);
  return chardev_add(chardev.id, "socket", data.take());
}

QmpCall chardev_add_file(std::string_view id, std::string_view path) {
  return chardev_add(id, "file", Arguments().set("out", path).take());
}

QmpCall chardev_add_pipe(std::string_view id, std::string_view path) { return chardev_add_device(id, "pipe", path); }
QmpCall chardev_add_serial(std::string_view id, std::string_view device) {
  return chardev_add_device(id, "serial", device);
}
QmpCall chardev_add_pty(std::string_view id) { return chardev_add(id, "pty", Arguments().take()); }
QmpCall chardev_add_null(std::string_view id) { return chardev_add(id, "null", Arguments().take()); }

QmpCall chardev_remove(std::string_view id) { return {"chardev-remove", Arguments().set("id", id).take()}; }

std::string arguments(const SerialControllerAdd& controller) {
  Arguments a = device_arguments(controller.driver, controller.id, controller.placement);
  a.set_if("max_ports", controller.max_ports);
  return a.take();
}

std::string arguments(const SerialPortAdd& port) {
  Arguments a;
  a.set("driver", port.driver)
      .set("id", port.id)
      .set_if("bus", port.bus)
      .set("chardev", port.chardev)
      .set_if("name", port.name);
  return a.take();
}

}  // namespace vmforge::qmp
