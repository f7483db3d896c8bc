// Chardev and virtio-serial builders.
#include "supervisor/qmp/ops_chardev.hpp"

namespace vmforge::qmp {
namespace {

Command chardev_add(std::string_view id, std::string_view type, std::string data_json) {
  std::string backend = Arguments().set("type", type).set_json("data", data_json).take();
  return {"chardev-add", Arguments().set("id", id).set_json("backend", backend).take(), {}};
}

}  // namespace

Command chardev_add_socket(const ChardevSocketAdd& chardev) {
  std::string unix_data = Arguments().set("path", chardev.path).take();
  std::string addr = Arguments().set("type", "unix").set_json("data", unix_data).take();
  Arguments data;
  data.set_json("addr", addr).set("server", chardev.server);
  if (chardev.server) data.set("wait", chardev.wait);
  return chardev_add(chardev.id, "socket", data.take());
}

Command chardev_add_file(std::string_view id, std::string_view path) {
  return chardev_add(id, "file", Arguments().set("out", path).take());
}

Command chardev_remove(std::string_view id) { return {"chardev-remove", Arguments().set("id", id).take(), {}}; }

Command device_add_serial_controller(std::string_view id, std::string_view bus) {
  return {"device_add", Arguments().set("driver", "virtio-serial-pci").set("id", id).set_if("bus", bus).take(), {}};
}

Command device_add_serial_port(const SerialPortAdd& port) {
  Arguments a;
  a.set("driver", "virtserialport").set("id", port.id).set("chardev", port.chardev).set_if("name", port.name)
      .set_if("bus", port.bus);
  return {"device_add", a.take(), {}};
}

}  // namespace vmforge::qmp
