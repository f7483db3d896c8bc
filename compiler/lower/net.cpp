// Lowering of network interfaces: a -netdev/netdev_add backend (user, tap family, vhost-user
// with its chardev) and a virtio-net device, or a vfio-pci device for VFIO NICs; link state.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include "compiler/lower/families.hpp"
#include "compiler/qmp/ops_chardev.hpp"
#include "compiler/qmp/ops_net.hpp"

namespace vmforge {
namespace {

std::string resource_of(const Net& n) { return resource_name(ResourceKind::net, n.id); }

bool has_netdev(const Net& n) { return n.backend != NetBackend::vfio; }

std::string chardev_id(const Net& n) { return n.id.derived("char"); }

std::uint32_t queue_count(const Net& n) { return n.fds.empty() ? n.queues : static_cast<std::uint32_t>(n.fds.size()); }

std::vector<std::string> fd_names(const std::vector<int>& fds) {
  std::vector<std::string> names;
  for (int fd : fds) names.push_back(std::to_string(fd));
  return names;
}

qmp::NetdevAdd netdev(const Net& n) {
  qmp::NetdevAdd d;
  d.id = n.id.derived("net");
  switch (n.backend) {
    case NetBackend::user:
      d.type = "user";
      d.hostfwd = n.hostfwd;
      break;
    case NetBackend::tap:
    case NetBackend::macvtap:
    case NetBackend::ipvtap:
    case NetBackend::veth_tap:
      // macvtap/ipvtap are tap devices QEMU reaches through pre-opened fds.
      d.type = "tap";
      d.fds = fd_names(n.fds);
      if (n.fds.empty()) {
        d.ifname = n.ifname.value_or("");
        d.script = n.script.value_or("no");
        d.downscript = n.downscript.value_or("no");
        if (n.queues > 1) d.queues = n.queues;
      }
      if (n.vhost) d.vhost = true;
      d.vhostfds = fd_names(n.vhost_fds);
      break;
    case NetBackend::vhost_user:
      d.type = "vhost-user";
      d.chardev = chardev_id(n);
      if (n.queues > 1) d.queues = n.queues;
      break;
    case NetBackend::vfio: break;
  }
  return d;
}

QmpCall device_add(const Vm& vm, const PciLayout& layout, const Net& n) {
  const qmp::DevicePlacement placement = placement_of(vm, layout, n.id, n.placement);
  if (n.backend == NetBackend::vfio) {
    return qmp::device_add(
        qmp::VfioDeviceAdd{"vfio-pci", n.id.str(), placement, n.host ? n.host->to_string() : "", "", {}, {}});
  }
  return qmp::device_add(qmp::NicDeviceAdd{virtio_driver("virtio-net", n.placement.transport), n.id.str(), placement,
                                           n.id.derived("net"), n.mac.to_string(), queue_count(n)});
}

}  // namespace

std::vector<PlanStep> net_link_steps(const Net& n) {
  if (n.link_up) return {};
  return {{resource_of(n), qmp::set_link(n.id.str(), false), qmp::set_link(n.id.str(), true)}};
}

void lower_net(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& n : vm.nets) {
    if (n.hotplug) continue;
    if (n.backend == NetBackend::vhost_user) {
      ctx.kv("-chardev", KvOption("socket").add("id", chardev_id(n)).add("path", n.socket.value_or("")),
             resource_of(n));
    }
    if (has_netdev(n)) ctx.arg("-netdev", qmp::arguments(netdev(n)));
    ctx.arg("-device", device_add(vm, ctx.layout(), n).arguments);
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Net& n) {
  const std::string resource = resource_of(n);
  std::vector<PlanStep> steps;
  if (n.backend == NetBackend::vhost_user) {
    steps.push_back({resource, qmp::chardev_add_socket({chardev_id(n), n.socket.value_or(""), false}),
                     qmp::chardev_remove(chardev_id(n))});
  }
  if (has_netdev(n)) steps.push_back({resource, qmp::netdev_add(netdev(n)), qmp::netdev_del(n.id.derived("net"))});
  steps.push_back(device_add_step(resource, n.id.str(), device_add(vm, layout, n)));
  for (auto& step : net_link_steps(n)) steps.push_back(std::move(step));
  return steps;
}

std::vector<PlanStep> unplug(const Net& n) {
  const std::string resource = resource_of(n);
  std::vector<PlanStep> steps{device_del_step(resource, n.id.str())};
  if (has_netdev(n)) steps.push_back({resource, qmp::netdev_del(n.id.derived("net")), std::nullopt});
  if (n.backend == NetBackend::vhost_user)
    steps.push_back({resource, qmp::chardev_remove(chardev_id(n)), std::nullopt});
  return steps;
}

}  // namespace vmforge
