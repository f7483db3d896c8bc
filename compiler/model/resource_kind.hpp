// The kinds of resource the hotplug plan and the live diff know, with every fact about each
// kind in one table (resource_kind.cpp), and the typed name of one resource: ResourceKey.
// Text ("disk:data1") is for the edges only: plans, diffs and control requests.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmforge {

/// Adding a kind: a value here, its row in resource_kind.cpp; the build (-Werror=switch) then
/// names every switch that must handle it. A kind is hot-pluggable when its device type has
/// plug()/unplug() builders (lower_families.hpp): lower.cpp checks that by type. The last four are QEMU backends that
/// exist with no device using them (leaks of an interrupted apply, or of a change made behind vmforge's back): the diff
/// removes them.
enum class ResourceKind {
  disk,
  net,
  serial,
  console,
  channel,
  vsock,
  fs,
  vfio,
  cpu,
  dimm,
  balloon,
  scsi_controller,
  virtio_serial,
  vhost_user,
  throttle_group,
  node,
  chardev,
  netdev,
  object,
};

/// Whether a device of this kind sits on a PCI bus of its own (q35: a root port).
enum class PortUse { never, if_pci, always };

struct KindFacts {
  /// The resource name's prefix: "disk" in "disk:data1".
  std::string_view name = {};
  /// The manifest table its devices come from: "disk" for [[disk]]; empty for backends.
  std::string_view table = {};
  /// A bus other devices sit on: plugged before them and unplugged after them.
  bool controller = false;
  /// A QEMU backend (block node, chardev, netdev, object), not a device.
  bool backend = false;
  /// On q35, whether a device of this kind needs a free root port to be plugged.
  PortUse port = PortUse::never;
  /// Properties QEMU changes on a live device without unplugging it (disk: a cdrom's medium,
  /// the image's size, the throttle group and limits; throttle_group: every limit).
  std::span<const std::string_view> live_props = {};
  /// The QEMU device types of this kind in qom-list; one ending in '-' is a prefix
  /// ("virtio-blk-" for virtio-blk-pci and virtio-blk-device).
  std::span<const std::string_view> qemu_types = {};
  /// The property observation reads back to tell the device apart (`qemu` is QEMU's name for
  /// it, `prop` the resource's); empty when none.
  std::string_view identity_qemu = {};
  std::string_view identity_prop = {};
};

/// The row of `kind`.
const KindFacts& facts(ResourceKind kind);
/// Every kind, in enum order.
std::span<const ResourceKind> all_kinds();

/// "disk" (the resource name's prefix).
std::string_view to_string(ResourceKind kind);
std::optional<ResourceKind> resource_kind_from_string(std::string_view text);
/// node/chardev/netdev/object.
bool is_backend(ResourceKind kind);
/// The kind whose qemu_types include `qemu_type`, if one does.
std::optional<ResourceKind> kind_of_qemu_type(std::string_view qemu_type);

/// One resource: a kind and the device's id ("cpu" resources: the slot number).
struct ResourceKey {
  ResourceKind kind = ResourceKind::disk;
  std::string id;

  /// "disk:data1".
  std::string str() const;
  /// "disk:data1" -> {disk, "data1"}; nullopt for an unknown kind or no id.
  static std::optional<ResourceKey> parse(std::string_view text);

  friend bool operator==(const ResourceKey&, const ResourceKey&) = default;
};

}  // namespace vmforge
