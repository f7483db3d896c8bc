// Lowering of network interfaces: a -netdev/netdev_add backend (user, tap family, vhost-user
// with its chardev) and a virtio-net device, or a vfio-pci device for VFIO NICs; link state.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/lower/families.hpp"

namespace vmforge {
namespace {

std::string resource_of(const Net& n) { return resource_name(ResourceKind::net, n.id); }

bool has_netdev(const Net& n) { return n.backend != NetBackend::vfio; }

std::string chardev_id(const Net& n) { return n.id.derived("char"); }

std::uint32_t queue_count(const Net& n) {
  return n.fds.empty() ? n.queues : static_cast<std::uint32_t>(n.fds.size());
}

std::string netdev_json(const Net& n) {
  return json_object([&](JsonWriter& w) {
    switch (n.backend) {
      case NetBackend::user:
        w.field("type", "user").field("id", n.id.derived("net"));
        if (!n.hostfwd.empty()) {
          w.key("hostfwd").begin_array();
          for (const auto& rule : n.hostfwd) w.begin_object().field("str", rule).end_object();
          w.end_array();
        }
        break;
      case NetBackend::tap:
      case NetBackend::macvtap:
      case NetBackend::ipvtap:
      case NetBackend::veth_tap:
        // macvtap/ipvtap are tap devices QEMU reaches through pre-opened fds.
        w.field("type", "tap").field("id", n.id.derived("net"));
        if (!n.fds.empty()) {
          w.field("fds", fmt::format("{}", fmt::join(n.fds, ":")));
        } else {
          if (n.ifname) w.field("ifname", *n.ifname);
          w.field("script", n.script.value_or("no")).field("downscript", n.downscript.value_or("no"));
          if (n.queues > 1) w.field("queues", n.queues);
        }
        if (n.vhost) w.field("vhost", true);
        if (!n.vhost_fds.empty()) w.field("vhostfds", fmt::format("{}", fmt::join(n.vhost_fds, ":")));
        break;
      case NetBackend::vhost_user:
        w.field("type", "vhost-user").field("id", n.id.derived("net")).field("chardev", chardev_id(n));
        if (n.queues > 1) w.field("queues", n.queues);
        break;
      case NetBackend::vfio:
        break;
    }
  });
}

std::string device_json(const Vm& vm, const PciLayout& layout, const Net& n) {
  return json_object([&](JsonWriter& w) {
    if (n.backend == NetBackend::vfio) {
      w.field("driver", "vfio-pci").field("id", n.id.str());
      write_placement(w, vm, layout, n.id, n.placement);
      if (n.host) w.field("host", n.host->to_string());
      return;
    }
    w.field("driver", virtio_driver("virtio-net", n.placement.transport)).field("id", n.id.str());
    write_placement(w, vm, layout, n.id, n.placement);
    w.field("netdev", n.id.derived("net")).field("mac", n.mac.to_string());
    if (const std::uint32_t queues = queue_count(n); queues > 1) {
      w.field("mq", true);
      // One vector per rx and tx queue, one for config, one for control (virtio-net spec).
      if (n.placement.transport == Transport::pci) w.field("vectors", 2 * queues + 2);
    }
  });
}

}  // namespace

std::vector<PlanStep> net_link_steps(const Net& n) {
  if (n.link_up) return {};
  auto set_link = [&](bool up) {
    return json_object([&](JsonWriter& w) { w.field("name", n.id.str()).field("up", up); });
  };
  return {reply_step(resource_of(n), "set_link", set_link(false), reply_call("set_link", set_link(true)))};
}

void lower_net(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& n : vm.nets) {
    if (n.hotplug) continue;
    if (n.backend == NetBackend::vhost_user) {
      ctx.kv("-chardev", KvOption("socket").add("id", chardev_id(n)).add("path", n.socket.value_or("")),
             resource_of(n));
    }
    if (has_netdev(n)) ctx.arg("-netdev", netdev_json(n));
    ctx.arg("-device", device_json(vm, ctx.layout(), n));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Net& n) {
  const std::string resource = resource_of(n);
  std::vector<PlanStep> steps;
  if (n.backend == NetBackend::vhost_user) {
    steps.push_back(reply_step(resource, "chardev-add", socket_chardev_add_json(chardev_id(n), n.socket.value_or(""), false),
                               reply_call("chardev-remove", json_single("id", chardev_id(n)))));
  }
  if (has_netdev(n)) {
    steps.push_back(reply_step(resource, "netdev_add", netdev_json(n),
                               reply_call("netdev_del", json_single("id", n.id.derived("net")))));
  }
  steps.push_back(device_add_step(resource, n.id.str(), device_json(vm, layout, n)));
  for (auto& step : net_link_steps(n)) steps.push_back(std::move(step));
  return steps;
}

std::vector<PlanStep> unplug(const Net& n) {
  const std::string resource = resource_of(n);
  std::vector<PlanStep> steps{device_del_step(resource, n.id.str())};
  if (has_netdev(n)) steps.push_back(reply_step(resource, "netdev_del", json_single("id", n.id.derived("net"))));
  if (n.backend == NetBackend::vhost_user) {
    steps.push_back(reply_step(resource, "chardev-remove", json_single("id", chardev_id(n))));
  }
  return steps;
}

}  // namespace vmforge
