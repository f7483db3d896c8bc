// The host needs of a model's devices, and the notes `plan` shows for them.
#include "compiler/model/host_needs.hpp"

#include "compiler/model/model.hpp"

namespace vmforge {

std::vector<HostNeed> host_needs(const Vm& vm, const std::optional<ResourceKey>& only) {
  std::vector<HostNeed> needs;
  auto add = [&](HostNeedKind kind, ResourceKind resource, const DeviceId& id, std::string address = {}) {
    ResourceKey key{resource, id.str()};
    if (!only || key == *only) needs.push_back({kind, std::move(key), std::move(address)});
  };
  for (const Net& net : vm.nets) {
    if (net.vhost && net.vhost_fds.empty()) add(HostNeedKind::vhost_net, ResourceKind::net, net.id);
    if (net.backend == NetBackend::vfio && net.host) {
      add(HostNeedKind::vfio_function, ResourceKind::net, net.id, net.host->to_string());
    }
  }
  for (const Vfio& vfio : vm.vfios) {
    if (vfio.host) add(HostNeedKind::vfio_function, ResourceKind::vfio, vfio.id, vfio.host->to_string());
  }
  for (const Vsock& vsock : vm.vsocks) {
    if (!vsock.vhost_fd) add(HostNeedKind::vhost_vsock, ResourceKind::vsock, vsock.id);
  }
  return needs;
}

std::string host_need_note(const HostNeed& need) {
  switch (need.kind) {
    case HostNeedKind::vhost_net:
      return "vhost = true: the supervisor checks /dev/vhost-net first (QEMU 7.2 aborts without it)";
    case HostNeedKind::vhost_vsock: return "the supervisor checks /dev/vhost-vsock first";
    case HostNeedKind::vfio_function:
      return "the supervisor checks first that the host function is on vfio-pci with a viable IOMMU group";
  }
  return {};
}

}  // namespace vmforge
