// Netdev and NIC builders.
#include "supervisor/qmp/ops_net.hpp"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

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

Result<Command> netdev_add(const NetdevAdd& netdev) {
  if (netdev.vhost.value_or(false) && ::access("/dev/vhost-net", R_OK | W_OK) != 0) {
    return unexpected(Error(fmt::format("Refusing netdev '{}' with vhost=on: /dev/vhost-net is not usable, and "
                                        "QEMU 7.2 aborts in that case; load vhost_net or leave vhost off",
                                        netdev.id),
                            ENODEV));
  }
  Arguments a;
  a.set("type", netdev.type).set("id", netdev.id).set_if("ifname", netdev.ifname).set_if("script", netdev.script)
      .set_if("downscript", netdev.downscript).set_if("queues", netdev.queues).set_if("chardev", netdev.chardev)
      .set_if("fds", colon_list(netdev.fds)).set_if("vhostfds", colon_list(netdev.vhostfds))
      .set_if("vhost", netdev.vhost);
  return Command{"netdev_add", a.take(), {}};
}

Command netdev_del(std::string_view id) { return {"netdev_del", Arguments().set("id", id).take(), {}}; }

Command device_add_nic(const NicDeviceAdd& nic) {
  Arguments a;
  a.set("driver", nic.driver).set("id", nic.id).set_if("netdev", nic.netdev).set_if("mac", nic.mac)
      .set_if("bus", nic.bus).set_if("addr", nic.addr).set_if("devno", nic.devno);
  if (nic.queues.value_or(0) > 0) {
    a.set("mq", true);
    if (nic.devno.empty()) a.set("vectors", 2 * *nic.queues + 2);
  }
  a.set_if("disable-modern", nic.disable_modern).set_if("romfile", nic.romfile);
  return {"device_add", a.take(), {}};
}

}  // namespace vmforge::qmp
