// Typed QMP operations: network backends (netdev) and NICs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// netdev_add. Covers govmm's ExecuteNetdevAdd (tap by name), ExecuteNetdevChardevAdd
/// (vhost-user) and ExecuteNetdevAddByFds (tap from fds passed with getfd first).
struct NetdevAdd {
  std::string type;  // "tap", "user", "vhost-user", "bridge", …
  std::string id;
  std::string ifname;      // tap
  std::string script;      // tap: "no" for none
  std::string downscript;  // tap: "no" for none
  std::optional<std::uint32_t> queues;
  std::string chardev;               // vhost-user
  std::vector<std::string> fds;      // tap: getfd names (or numbers)
  std::vector<std::string> vhostfds; // tap: getfd names of /dev/vhost-net fds
  std::optional<bool> vhost;
};
/// Fails (ENODEV) when `vhost` is asked for without /dev/vhost-net: QEMU 7.2 aborts then.
Result<Command> netdev_add(const NetdevAdd& netdev);
Command netdev_del(std::string_view id);

/// device_add of a NIC. Covers ExecuteNetPCIDeviceAdd and ExecuteNetCCWDeviceAdd (set
/// `driver` = "virtio-net-ccw" and `devno`). `queues` > 0 turns on multiqueue (mq, and
/// vectors = 2 * queues + 2 for PCI).
struct NicDeviceAdd {
  std::string driver = "virtio-net-pci";
  std::string id;
  std::string netdev;
  std::string mac;
  std::string bus;
  std::string addr;
  std::string devno;  // CCW only
  std::optional<std::uint32_t> queues;
  std::optional<bool> disable_modern;
  std::optional<std::string> romfile;
};
Command device_add_nic(const NicDeviceAdd& nic);

}  // namespace vmforge::qmp
