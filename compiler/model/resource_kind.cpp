// The kind table: one row per ResourceKind.
#include "compiler/model/resource_kind.hpp"

#include <algorithm>
#include <array>
#include <iterator>

#include <fmt/format.h>

#include "compiler/model/io_limits.hpp"

namespace vmforge {
namespace {

using Names = std::string_view[];

constexpr Names kLinkProps = {"link"};
constexpr Names kTargetProps = {"target"};
constexpr auto kLimitProps = [] {
  std::array<std::string_view, kIoLimitNames.size()> keys{};
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = kIoLimitNames[i].key;
  return keys;
}();
// A disk's medium (changed in a drive with a tray), its image's virtual size (grown), and its
// device's throttle group and limits (block_set_io_throttle).
constexpr auto kDiskProps = [] {
  constexpr Names own = {"file", "format", "size", "throttle_group"};
  std::array<std::string_view, std::size(own) + kLimitProps.size()> keys{};
  std::copy(std::begin(own), std::end(own), keys.begin());
  std::copy(kLimitProps.begin(), kLimitProps.end(), keys.begin() + std::size(own));
  return keys;
}();

constexpr Names kDiskTypes = {"virtio-blk-", "scsi-hd", "scsi-cd", "ide-hd", "ide-cd"};
// vfio-pci is also the type of a NIC with backend "vfio" (observation tells them apart).
constexpr Names kNetTypes = {"virtio-net-"};
constexpr Names kSerialTypes = {"isa-serial"};
constexpr Names kConsoleTypes = {"virtconsole"};
constexpr Names kChannelTypes = {"virtserialport"};
constexpr Names kVsockTypes = {"vhost-vsock-"};
constexpr Names kFsTypes = {"vhost-user-fs-"};
constexpr Names kVfioTypes = {"vfio-pci"};
constexpr Names kDimmTypes = {"pc-dimm"};
constexpr Names kBalloonTypes = {"virtio-balloon-"};
constexpr Names kScsiTypes = {"virtio-scsi-"};
constexpr Names kVirtioSerialTypes = {"virtio-serial-"};

// The table, as a switch so that a kind without a row does not build (-Werror=switch); values
// past the last kind have none, which is how kRows finds the end.
constexpr std::optional<KindFacts> row(ResourceKind kind) {
  using K = ResourceKind;
  switch (kind) {
    case K::disk:
      return KindFacts{.name = "disk",
                       .table = "disk",
                       .port = PortUse::if_pci,
                       .live_props = kDiskProps,
                       .qemu_types = kDiskTypes,
                       .identity_qemu = "serial",
                       .identity_prop = "serial"};
    case K::net:
      return KindFacts{
          .name = "net", .table = "net", .port = PortUse::if_pci, .live_props = kLinkProps, .qemu_types = kNetTypes};
    case K::serial: return KindFacts{.name = "serial", .table = "serial", .qemu_types = kSerialTypes};
    case K::console: return KindFacts{.name = "console", .table = "serial", .qemu_types = kConsoleTypes};
    case K::channel:
      return KindFacts{.name = "channel",
                       .table = "serial",
                       .qemu_types = kChannelTypes,
                       .identity_qemu = "name",
                       .identity_prop = "name"};
    case K::vsock:
      return KindFacts{.name = "vsock",
                       .table = "vsock",
                       .port = PortUse::if_pci,
                       .qemu_types = kVsockTypes,
                       .identity_qemu = "guest-cid",
                       .identity_prop = "cid"};
    case K::fs:
      return KindFacts{.name = "fs",
                       .table = "virtio_fs",
                       .port = PortUse::if_pci,
                       .qemu_types = kFsTypes,
                       .identity_qemu = "tag",
                       .identity_prop = "tag"};
    case K::vfio:
      return KindFacts{.name = "vfio",
                       .table = "vfio",
                       .port = PortUse::always,
                       .qemu_types = kVfioTypes,
                       .identity_qemu = "host",
                       .identity_prop = "host"};
    case K::cpu: return KindFacts{.name = "cpu", .table = "cpu"};
    case K::dimm: return KindFacts{.name = "dimm", .table = "dimm", .qemu_types = kDimmTypes};
    case K::balloon:
      return KindFacts{.name = "balloon",
                       .table = "balloon",
                       .port = PortUse::if_pci,
                       .live_props = kTargetProps,
                       .qemu_types = kBalloonTypes};
    case K::scsi_controller:
      return KindFacts{
          .name = "scsi_controller", .table = "scsi_controller", .controller = true, .qemu_types = kScsiTypes};
    case K::virtio_serial:
      return KindFacts{
          .name = "virtio_serial", .table = "virtio_serial", .controller = true, .qemu_types = kVirtioSerialTypes};
    // Plugged by the boot plan only: the live diff leaves its changes to a restart (not in
    // resources_of()).
    case K::vhost_user: return KindFacts{.name = "vhost_user", .table = "vhost_user"};
    // A [[throttle_group]]'s throttle-group object (in /objects, not a device).
    case K::throttle_group:
      return KindFacts{.name = "throttle_group", .table = "throttle_group", .live_props = kLimitProps};
    case K::node: return KindFacts{.name = "node", .backend = true};
    case K::chardev: return KindFacts{.name = "chardev", .backend = true};
    case K::netdev: return KindFacts{.name = "netdev", .backend = true};
    case K::object: return KindFacts{.name = "object", .backend = true};
  }
  return std::nullopt;
}

constexpr std::size_t kind_count() {
  std::size_t n = 0;
  while (row(static_cast<ResourceKind>(n))) ++n;
  return n;
}

constexpr auto kKinds = [] {
  std::array<ResourceKind, kind_count()> kinds{};
  for (std::size_t i = 0; i < kinds.size(); ++i) kinds[i] = static_cast<ResourceKind>(i);
  return kinds;
}();

constexpr auto kRows = [] {
  std::array<KindFacts, kKinds.size()> rows{};
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = *row(kKinds[i]);
  return rows;
}();

bool matches(std::string_view pattern, std::string_view type) {
  return pattern.ends_with('-') ? type.starts_with(pattern) : type == pattern;
}

}  // namespace

const KindFacts& facts(ResourceKind kind) { return kRows[static_cast<std::size_t>(kind)]; }

std::span<const ResourceKind> all_kinds() { return kKinds; }

std::string_view to_string(ResourceKind kind) { return facts(kind).name; }

std::optional<ResourceKind> resource_kind_from_string(std::string_view text) {
  for (ResourceKind kind : kKinds) {
    if (facts(kind).name == text) return kind;
  }
  return std::nullopt;
}

bool is_backend(ResourceKind kind) { return facts(kind).backend; }

std::optional<ResourceKind> kind_of_qemu_type(std::string_view qemu_type) {
  for (ResourceKind kind : kKinds) {
    for (std::string_view pattern : facts(kind).qemu_types) {
      if (matches(pattern, qemu_type)) return kind;
    }
  }
  return std::nullopt;
}

std::string ResourceKey::str() const { return fmt::format("{}:{}", to_string(kind), id); }

std::optional<ResourceKey> ResourceKey::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  auto kind = resource_kind_from_string(text.substr(0, colon));
  if (!kind) return std::nullopt;
  return ResourceKey{*kind, std::string(text.substr(colon + 1))};
}

}  // namespace vmforge
