// Unplug, VFIO, vhost-user, vsock and plain device_add builders.
#include "supervisor/qmp/ops_device.hpp"

#include <fmt/format.h>

namespace vmforge::qmp {

namespace {

// ACPI _OST status codes for an eject (ACPI 6.4, table 6.203) that end it without removal.
std::string_view eject_failure(std::int64_t status) {
  switch (status) {
    case 1: return "failure";
    case 0x80: return "ejection not supported";
    case 0x81: return "device in use";
    case 0x82: return "device busy";
    case 0x83: return "ejection dependency busy";
    default: return {};
  }
}

}  // namespace

Command device_del(std::string_view id) {
  EventMatch deleted{"DEVICE_DELETED", data_equals("device", std::string(id)), {}};
  deleted.failure = [id = std::string(id)](const Event& e) -> std::optional<std::string> {
    if (e.name == "DEVICE_UNPLUG_GUEST_ERROR" && e.data.get_string("device") == std::string_view(id)) {
      return fmt::format("the guest refused to release '{}'", id);
    }
    const JsonValue* info = e.data.find("info");
    if (e.name != "ACPI_DEVICE_OST" || info == nullptr || info->get_string("device") != std::string_view(id) ||
        info->get_int64("source") != 3) {
      return std::nullopt;
    }
    std::string_view what = eject_failure(info->get_int64("status").value_or(0));
    if (what.empty()) return std::nullopt;
    return fmt::format("the guest refused to release '{}' (ACPI _OST status {}: {})", id,
                       *info->get_int64("status"), what);
  };
  return {"device_del", Arguments().set("id", id).take(), std::move(deleted)};
}

Command device_add(std::string arguments_json) { return {"device_add", std::move(arguments_json), {}}; }

Command device_add_vfio(const VfioDeviceAdd& device) {
  Arguments a;
  a.set("driver", device.driver).set_if("id", device.id).set_if("host", device.host)
      .set_if("sysfsdev", device.sysfsdev).set_if("bus", device.bus).set_if("addr", device.addr)
      .set_if("romfile", device.romfile);
  return {"device_add", a.take(), {}};
}

Command device_add_vhost_user(const VhostUserDeviceAdd& device) {
  Arguments a;
  a.set("driver", device.driver).set("id", device.id).set("chardev", device.chardev).set_if("bus", device.bus)
      .set_if("addr", device.addr).set_if("tag", device.tag).set_if("num-queues", device.num_queues);
  return {"device_add", a.take(), {}};
}

Command device_add_vsock(const VsockDeviceAdd& device) {
  Arguments a;
  a.set("driver", "vhost-vsock-pci").set("id", device.id).set("guest-cid", device.guest_cid)
      .set_if("vhostfd", device.vhostfd).set_if("bus", device.bus).set_if("addr", device.addr)
      .set_if("disable-modern", device.disable_modern).set_if("romfile", device.romfile);
  return {"device_add", a.take(), {}};
}

}  // namespace vmforge::qmp
