// Resources: the live-relevant state of a VM as a normalized set ({kind, id, properties}), the
// same shape whether derived from a manifest (what QEMU should show) or observed from QEMU.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/model/resource_kind.hpp"

namespace vmforge {

struct Vm;

struct Resource {
  ResourceKind kind = ResourceKind::disk;
  std::string id;
  /// What decides whether QEMU's device is the one the manifest describes, as canonical text
  /// ("file" -> "/var/lib/a.qcow2", "readonly" -> "true"). Only what QEMU 7.2 lets one observe;
  /// a property missing on one side is not compared.
  std::map<std::string, std::string> props;
  /// What the manifest sets in the argv or the plug steps but QEMU 7.2 does not show back (a
  /// disk's cache mode, aio engine, iothread...). Never observed: compared against the manifest
  /// the VM was last made from, so that changing one is a replace or a restart, never lost.
  /// Named by their manifest key (`share_rw`), as `plan` shows them.
  std::map<std::string, std::string> settings;
  /// Created over QMP (manifest `hotplug = true`; QEMU's `hotplugged`), so removable live. A
  /// resource in the frozen argv needs a restart to go away.
  bool hotplugged = false;

  ResourceKey ref() const { return {kind, id}; }
  /// "disk:data1": the plan's resource name.
  std::string key() const { return ref().str(); }
  friend bool operator==(const Resource&, const Resource&) = default;
};

/// What QEMU can do live on this machine, and the facts the diff needs besides the resources.
struct MachineFacts {
  /// false on microvm (qemu-facts §2.3): every change is a restart.
  bool hotplug = true;
  /// Slots of `-smp maxcpus`; cpu:N exists for N < max_cpus.
  std::uint32_t max_cpus = 0;
  /// Boot CPUs (`-smp cpus`): in the argv, never unplugged live.
  std::uint32_t boot_cpus = 0;
  /// q35: the generated pcie-root-ports with nothing plugged in, in port order. New PCI devices
  /// are pinned to these (the manifest's own layout may name a port the running VM has filled
  /// or does not have). Unknown (nullopt): the builders' placement is used as is.
  std::optional<std::vector<std::string>> free_ports;
  /// q35: device id -> the generated root port it sits on (where an undone removal plugs it
  /// back). Empty when not observed.
  std::map<std::string, std::string> device_ports;
  /// pc: the slots of pci.0 with nothing in them, in the order new PCI devices are pinned to
  /// them (pci.0 takes live additions itself). Unknown (nullopt): the builders' placement.
  std::optional<std::vector<std::uint8_t>> free_slots;
  /// pc: hot-plugged device id -> its slot on pci.0 (where an undone removal plugs it back,
  /// and what a migration's destination must lay out). Empty when not observed.
  std::map<std::string, std::uint8_t> device_slots;

  friend bool operator==(const MachineFacts&, const MachineFacts&) = default;
};

/// A set of resources keyed by Resource::key(), in key order.
class ResourceSet {
 public:
  /// Replaces a resource with the same key.
  void add(Resource resource);
  const Resource* find(std::string_view key) const;
  bool erase(std::string_view key);
  std::vector<const Resource*> all() const;
  std::size_t size() const { return by_key_.size(); }

  MachineFacts& facts() { return facts_; }
  const MachineFacts& facts() const { return facts_; }

  friend bool operator==(const ResourceSet&, const ResourceSet&) = default;

 private:
  std::map<std::string, Resource, std::less<>> by_key_;
  MachineFacts facts_;
};

/// What QEMU should show for `vm`: every device the live diff knows (argv and hotplug ones) with
/// the properties observation can see. Backends are not listed: they belong to their device.
ResourceSet resources_of(const Vm& vm);

/// The device id a derived backend name belongs to: "data1.fmt" -> "data1". Empty for names
/// vmforge did not derive (no '.', QEMU's "#block123", reserved "vmforge..." names).
std::string_view backend_owner(std::string_view backend_name);

}  // namespace vmforge
