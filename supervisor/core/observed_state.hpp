// ObservedState: QEMU's answers to the observation queries, turned into the resource set the
// diff compares with a manifest. Pure (observe.hpp sends the queries), so it is tested with
// recorded replies.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/resources.hpp"

namespace vmforge::supervisor {

/// Round one: independent queries, sent together.
struct FirstReplies {
  JsonValue peripheral;      // qom-list {"path":"/machine/peripheral"}
  JsonValue block;           // query-block
  JsonValue nodes;           // query-named-block-nodes {"flat":true}
  JsonValue chardevs;        // query-chardev
  std::string network;       // human-monitor-command "info network" (7.2 has no query-netdev)
  JsonValue cpus;            // query-hotpluggable-cpus (null on machines without CPU hotplug)
  JsonValue memory_devices;  // query-memory-devices
  JsonValue objects;         // qom-list {"path":"/objects"}
};

/// A qom-get round two needs: `/machine/peripheral/<device>` `property`.
struct PropertyQuery {
  std::string device;
  std::string property;
};

/// Round two, from what round one found: the properties per device kind that decide identity
/// (serial, port name, tag, CID, host address) and `hotplugged`, plus one qom-list per
/// generated root port's bus (`/machine/peripheral/P/P`) to see whether it is free.
struct SecondQueries {
  std::vector<PropertyQuery> properties;
  std::vector<std::string> ports;
};

struct SecondReplies {
  /// device -> property -> value, for the queries that succeeded.
  std::map<std::string, std::map<std::string, JsonValue>> properties;
  /// root port -> its bus has a device on it.
  std::map<std::string, bool> port_busy;
};

/// What QEMU cannot tell and the supervisor knows.
struct ObserveContext {
  /// false on machines that cannot hot-plug (microvm).
  bool hotplug = true;
  /// q35: live additions go to vmforge's generated pcie-root-ports (so free ones are counted).
  bool root_ports = false;
  /// CPU slots unplugged since this QEMU started (kept in the state dir, qemu-facts §4.1).
  std::set<std::uint32_t> retired_cpu_slots;
  /// NIC link states. QEMU 7.2 shows them nowhere (no query, not in `info network`), so they
  /// come from the last applied manifest; set_link is idempotent, so a wrong guess costs one
  /// harmless command.
  std::map<std::string, bool> link_up;
  /// Ids of NICs with backend "vfio" (their device is a vfio-pci, like a [[vfio]]).
  std::set<std::string> vfio_nets;
};

SecondQueries second_queries(const FirstReplies& first, const ObserveContext& context);

/// The resource set: devices of the kinds the diff knows, CPUs, and backends (block nodes,
/// chardevs, netdevs, objects) whose owning device is gone. Backends vmforge did not name
/// (QEMU's "#block…", "compat_monitor0", reserved "vmforge…") are never listed.
ResourceSet build_observed(const FirstReplies& first, const SecondReplies& second, const ObserveContext& context);

}  // namespace vmforge::supervisor
