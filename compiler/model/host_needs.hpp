// HostNeed: what a device needs from the host that QEMU does not check in a way that says what
// to do (QEMU 7.2 aborts without /dev/vhost-net; "group 5 is not viable" names no fix). The
// compiler records them on each plan and each change; the supervisor checks them with one
// function (supervisor/core/host_check.hpp) before QEMU starts and before an apply's steps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/model/resource_kind.hpp"

namespace vmforge {

struct Vm;

enum class HostNeedKind {
  vhost_net,      // a NIC with vhost = true and no vhost fds of its own: /dev/vhost-net
  vhost_vsock,    // a vsock without a vhost fd of its own: /dev/vhost-vsock
  vfio_function,  // a host PCI function passed through: bound to vfio-pci, viable IOMMU group
};

struct HostNeed {
  HostNeedKind kind = HostNeedKind::vhost_net;
  ResourceKey resource;
  std::string address;  // vfio_function: the host function, "0000:01:00.0"
  bool operator==(const HostNeed&) const = default;
};

/// What `vm`'s devices need from the host, in manifest order; with `only`, that device's.
std::vector<HostNeed> host_needs(const Vm& vm, const std::optional<ResourceKey>& only = std::nullopt);

/// The note `plan` shows under a change with `need`: what the supervisor checks first.
std::string host_need_note(const HostNeed& need);

}  // namespace vmforge
