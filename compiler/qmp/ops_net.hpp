// Typed QMP operations: network backends (netdev), NICs and their link state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/qmp/call.hpp"
#include "compiler/qmp/ops_device.hpp"

namespace vmforge::qmp {

/// netdev_add. Covers govmm's ExecuteNetdevAdd (tap by name), ExecuteNetdevChardevAdd
/// (vhost-user) and ExecuteNetdevAddByFds (tap from fds passed with getfd first). `vhost`
/// needs /dev/vhost-net on the host: QEMU 7.2 aborts without it (supervisor/core/host_needs.hpp
/// checks it for the supervisor).
struct NetdevAdd {
  std::string type;  // "tap", "user", "vhost-user", "bridge", …
  std::string id;
  std::vector<std::string> hostfwd;  // user: "tcp:127.0.0.1:2222-:22"
  std::string chardev;               // vhost-user
  std::vector<std::string> fds;      // tap: getfd names (or numbers)
  std::string ifname;                // tap
  std::string script;                // tap: "no" for none
  std::string downscript;            // tap: "no" for none
  std::optional<std::uint32_t> queues;
  std::optional<bool> vhost;
  std::vector<std::string> vhostfds;  // tap: getfd names of /dev/vhost-net fds
};
/// The argument object, which -netdev takes too.
std::string arguments(const NetdevAdd& netdev);
QmpCall netdev_add(const NetdevAdd& netdev);
QmpCall netdev_del(std::string_view id);

/// device_add of a NIC. Covers ExecuteNetPCIDeviceAdd and ExecuteNetCCWDeviceAdd (driver
/// "virtio-net-ccw", placement.devno). `queues` > 1 turns on multiqueue (mq, and, for a PCI
/// driver, vectors = 2 * queues + 2).
struct NicDeviceAdd {
  std::string driver = "virtio-net-pci";
  std::string id;
  DevicePlacement placement;
  std::string netdev;
  std::string mac;
  std::uint32_t queues = 1;
};
std::string arguments(const NicDeviceAdd& nic);

/// set_link: the NIC `name`'s link up or down, as the guest sees it.
QmpCall set_link(std::string_view name, bool up);

}  // namespace vmforge::qmp
