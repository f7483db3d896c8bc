// Unplug, VFIO, vhost-user, vsock and plain device_add builders.
#include "supervisor/qmp/ops_device.hpp"

namespace vmforge::qmp {

Command device_del(std::string_view id) {
  return {"device_del", Arguments().set("id", id).take(),
          EventMatch{"DEVICE_DELETED", data_equals("device", std::string(id))}};
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
