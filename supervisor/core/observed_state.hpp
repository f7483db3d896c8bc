// ObservedState: the observation queries and QEMU's answers to them, turned into the resource
// set the diff compares with a manifest. Pure (observe.hpp sends the queries), so it is tested
// with replies recorded from QEMU 7.2.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/diff/resources.hpp"
#include "compiler/model/pci_pins.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::supervisor {

/// One observation query.
struct Query {
  QmpCall call;
  /// An error reply means "nothing of that kind here" (no CPU hotplug, no balloon device).
  bool optional = false;
};

/// Round one: independent queries, sent together.
struct FirstReplies {
  JsonValue peripheral;      // qom-list {"path":"/machine/peripheral"}
  JsonValue block;           // query-block
  JsonValue nodes;           // query-named-block-nodes {"flat":true}
  JsonValue chardevs;        // query-chardev
  JsonValue network;         // human-monitor-command "info network" (7.2 has no query-netdev): text
  JsonValue cpus;            // query-hotpluggable-cpus (null on machines without CPU hotplug)
  JsonValue memory_devices;  // query-memory-devices
  JsonValue objects;         // qom-list {"path":"/objects"}
  JsonValue balloon;         // query-balloon (null without a balloon device)
  JsonValue fdsets;          // query-fdsets
};

/// Round one's queries, in the order first_replies() takes their replies.
std::vector<Query> first_queries();
/// `replies[i]` answers first_queries()[i] (null where an optional query failed).
FirstReplies first_replies(std::vector<JsonValue> replies);

/// A qom-get round two needs: `/machine/peripheral/<device>` `property`, or for an object
/// (a throttle group's limits) `/objects/<device>`.
struct PropertyQuery {
  std::string device;
  std::string property;
  bool object = false;
};

/// Round two, from what round one found: per device of a kind the diff knows, `hotplugged`
/// and the identity property (serial, port name, tag, CID, host address) the manifest sets;
/// with root ports counted, `parent_bus` of every device that may sit on one (a device added
/// without an id, behind vmforge's back, is not seen: plugging onto its port fails and is
/// undone). See ObserveContext::check_only for what an outcome check leaves out. Per
/// throttle-group object, its `limits`.
using SecondQueries = std::vector<PropertyQuery>;

/// Round two's answers: device -> property -> value, for the queries that succeeded; an
/// object's under its path ("/objects/slow").
using SecondReplies = std::map<std::string, std::map<std::string, JsonValue>>;

/// What QEMU cannot tell and the supervisor knows.
struct ObserveContext {
  /// false on machines that cannot hot-plug (microvm).
  bool hotplug = true;
  /// q35: live additions go to vmforge's generated pcie-root-ports, so the free ones are
  /// counted.
  bool root_ports = false;
  /// pc: live additions go to free slots of pci.0, so each PCI device's slot is asked for.
  bool bus_slots = false;
  /// Checking an apply's outcome: nothing is placed (free ports are not counted), and whether
  /// a device the manifest has was hot-plugged does not matter (it decides only how a device
  /// is removed or replaced), so it is asked only of the devices the manifest lacks.
  bool check_only = false;
  /// Per device id, the properties the desired manifest gives it (Resource::props keys). The
  /// diff compares only properties both sides have, so an identity property ("serial",
  /// "name", "tag", "cid", "host") the manifest leaves out is not asked for.
  std::map<std::string, std::set<std::string>> identity;
  /// NIC link states. QEMU 7.2 shows them nowhere (no query, not in `info network`), so they
  /// come from the last applied manifest; set_link is idempotent, so a wrong guess costs one
  /// harmless command.
  std::map<std::string, bool> link_up;
  /// Ids of NICs with backend "vfio" (their device is a vfio-pci, like a [[vfio]]).
  std::set<std::string> vfio_nets;
  /// Balloon id -> the target (bytes) vmforge last asked QEMU for. QEMU 7.2 shows no target,
  /// only `actual`, which a guest without a balloon driver never moves: compared with
  /// `actual`, a plan would never settle.
  std::map<std::string, std::uint64_t> balloon_targets;
  /// Root ports whose device an apply of this supervisor unplugged, the most recent last. They
  /// are handed out last, the most recent last of all: the guest may still eject such a slot
  /// once more, and with it a device plugged in since (supervisor/core/step_runner.cpp).
  std::vector<std::string> freed_ports;
  /// The same for slots of pci.0 (pc).
  std::vector<std::uint8_t> freed_slots;
  /// No other monitor can change QEMU unseen (no `[[qmp_socket]]`, no raw extra arguments):
  /// a reply is reused while no event came and no command was sent (qmp::Client::query()).
  bool reuse_replies = false;
};

/// ObserveContext::identity for the resources of a desired manifest.
std::map<std::string, std::set<std::string>> identity_of(const ResourceSet& desired);

SecondQueries second_queries(const FirstReplies& first, const ObserveContext& context);
/// Round two as QMP queries (qom-get, optional), in the order second_replies() takes their
/// replies.
std::vector<Query> second_calls(const SecondQueries& queries);
SecondReplies second_replies(const SecondQueries& queries, std::vector<JsonValue> replies);

/// The resource set: devices of the kinds the diff knows (the balloon's `target` is the one
/// in the context, else what query-balloon reports as `actual`), CPUs, and backends (block nodes,
/// chardevs, netdevs, objects) whose owning device is gone. Backends vmforge did not name
/// (QEMU's "#block…", "compat_monitor0", reserved "vmforge…") are never listed.
ResourceSet build_observed(const FirstReplies& first, const SecondReplies& second, const ObserveContext& context);

/// Where the running VM's hot devices sit: on vmforge's generated root ports, from facts
/// observed with ObserveContext::root_ports (q35), or in slots of pci.0, with
/// ObserveContext::bus_slots (pc): what a migration's destination must lay out
/// (migration_handshake.hpp).
PciPins observed_pins(const MachineFacts& facts);

}  // namespace vmforge::supervisor
