// Netdev, NIC and link builders.
#include "compiler/qmp/ops_net.hpp"

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {
namespace {

std::string colon_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ':';
    out += n;
  }
  return out;
}

}  // namespace

std::string arguments(const NetdevAdd& netdev) {
  Arguments a;
  a.set("type", netdev.type).set("id", netdev.id);
  if (!netdev.hostfwd.empty()) {
    JsonWriter& w = a.writer();
    w.key("hostfwd").begin_array();
    for (const std::string& rule : netdev.hostfwd) w.begin_object().field("str", rule).end_object();
    w.end_array();
  }
  a.set_if("chardev", netdev.chardev)
      .set_if("fds", colon_list(netdev.fds))
      .set_if("ifname", netdev.ifname)
      .set_if("script", netdev.script)
      .set_if("downscript", netdev.downscript)
      .set_if("queues", netdev.queues)
      .set_if("vhost", netdev.vhost)
      .set_if("vhostfds", colon_list(netdev.vhostfds));
  return a.take();
}

QmpCall netdev_add(const NetdevAdd& netdev) { return {"netdev_add", arguments(netdev)}; }

QmpCall netdev_del(std::string_view id) { return {"netdev_del", Arguments().set("id", id).take()}; }

std::string arguments(const NicDeviceAdd& nic) {
  Arguments a = device_arguments(nic.driver, nic.id, nic.placement);
  a.set_if("netdev", nic.netdev).set_if("mac", nic.mac);
  if (nic.queues > 1) {
    a.set("mq", true);
    // One vector per rx and tx queue, one for config, one for control (virtio-net spec).
    if (nic.driver.ends_with("-pci")) a.set("vectors", 2 * nic.queues + 2);
  }
  return a.take();
}

QmpCall set_link(std::string_view name, bool up) {
  return {"set_link", Arguments().set("name", name).set("up", up).take()};
}

}  // namespace vmforge::qmp
