// The model's enums, each with exactly one name table used for parsing, printing, diagnostics
// and the schema drift test: `to_string(e)`, `enum_from_string<E>(text)`, `enum_names<E>()`.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace vmforge {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

/// Specialised once per enum with `static constexpr std::array<EnumName<E>, N> kNames`.
template <class E>
struct EnumTable;

template <class E>
constexpr std::span<const EnumName<E>> enum_names() {
  return {EnumTable<E>::kNames.data(), EnumTable<E>::kNames.size()};
}

template <class E>
constexpr std::string_view to_string(E value) requires requires {
  EnumTable<E>::kNames;
}
{
  for (const auto& entry : EnumTable<E>::kNames) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

template <class E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
  for (const auto& entry : EnumTable<E>::kNames) {
    if (entry.name == text) return entry.value;
  }
  return std::nullopt;
}

/// "'a', 'b' or 'c'": the accepted names, for diagnostics.
template <class E>
std::string enum_choices() {
  std::string out;
  const auto names = enum_names<E>();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'";
    out += names[i].name;
    out += "'";
  }
  return out;
}

#define VMFORGE_ENUM_TABLE(E, ...)                                          \
  template <>                                                               \
  struct EnumTable<E> {                                                     \
    static constexpr auto kNames = std::to_array<EnumName<E>>(__VA_ARGS__); \
  }

/// Which machine family a `[machine] type` belongs to (versioned names like "pc-q35-7.2" map to
/// their family); decides the default transport and what can be hot-plugged.
enum class MachineFamily { q35, pc, microvm, other };
VMFORGE_ENUM_TABLE(MachineFamily, {{MachineFamily::q35, "q35"},
                                   {MachineFamily::pc, "pc"},
                                   {MachineFamily::microvm, "microvm"},
                                   {MachineFamily::other, "other"}});

enum class Accel { kvm, tcg, xen };
VMFORGE_ENUM_TABLE(Accel, {{Accel::kvm, "kvm"}, {Accel::tcg, "tcg"}, {Accel::xen, "xen"}});

/// How a virtio device attaches: PCI (virtio-*-pci), CCW (s390), MMIO (virtio-*-device).
enum class Transport { pci, ccw, mmio };
VMFORGE_ENUM_TABLE(Transport, {{Transport::pci, "pci"}, {Transport::ccw, "ccw"}, {Transport::mmio, "mmio"}});

enum class Vga { none, std, cirrus, vmware, qxl, virtio };
VMFORGE_ENUM_TABLE(Vga, {{Vga::none, "none"},
                         {Vga::std, "std"},
                         {Vga::cirrus, "cirrus"},
                         {Vga::vmware, "vmware"},
                         {Vga::qxl, "qxl"},
                         {Vga::virtio, "virtio"}});

/// Backing store of guest RAM or of a DIMM/NVDIMM.
enum class MemoryBackendKind { ram, file, memfd };
VMFORGE_ENUM_TABLE(MemoryBackendKind, {{MemoryBackendKind::ram, "ram"},
                                       {MemoryBackendKind::file, "file"},
                                       {MemoryBackendKind::memfd, "memfd"}});

enum class RtcBase { utc, localtime, datetime };
VMFORGE_ENUM_TABLE(RtcBase,
                   {{RtcBase::utc, "utc"}, {RtcBase::localtime, "localtime"}, {RtcBase::datetime, "datetime"}});

enum class RtcClock { host, rt, vm };
VMFORGE_ENUM_TABLE(RtcClock, {{RtcClock::host, "host"}, {RtcClock::rt, "rt"}, {RtcClock::vm, "vm"}});

enum class RtcDriftFix { none, slew };
VMFORGE_ENUM_TABLE(RtcDriftFix, {{RtcDriftFix::none, "none"}, {RtcDriftFix::slew, "slew"}});

/// `-sandbox` sub-options; `children` exists only for elevate_privileges in QEMU.
enum class SandboxPolicy { allow, deny, children };
VMFORGE_ENUM_TABLE(SandboxPolicy, {{SandboxPolicy::allow, "allow"},
                                   {SandboxPolicy::deny, "deny"},
                                   {SandboxPolicy::children, "children"}});

enum class IncomingKind { defer, fd, exec, uri };
VMFORGE_ENUM_TABLE(IncomingKind, {{IncomingKind::defer, "defer"},
                                  {IncomingKind::fd, "fd"},
                                  {IncomingKind::exec, "exec"},
                                  {IncomingKind::uri, "uri"}});

enum class ConfidentialKind { sev, tdx, s390_pv, pef };
VMFORGE_ENUM_TABLE(ConfidentialKind, {{ConfidentialKind::sev, "sev"},
                                      {ConfidentialKind::tdx, "tdx"},
                                      {ConfidentialKind::s390_pv, "s390-pv"},
                                      {ConfidentialKind::pef, "pef"}});

enum class DiskFormat { raw, qcow2, qed, vmdk, vdi, vhdx, vpc };
VMFORGE_ENUM_TABLE(DiskFormat, {{DiskFormat::raw, "raw"},
                                {DiskFormat::qcow2, "qcow2"},
                                {DiskFormat::qed, "qed"},
                                {DiskFormat::vmdk, "vmdk"},
                                {DiskFormat::vdi, "vdi"},
                                {DiskFormat::vhdx, "vhdx"},
                                {DiskFormat::vpc, "vpc"}});

/// Formats whose images can name a backing image (QEMU's generic copy-on-write formats).
inline bool has_backing_chain(DiskFormat f) {
  return f == DiskFormat::qcow2 || f == DiskFormat::qed || f == DiskFormat::vmdk;
}

/// Which frontend a disk uses: virtio-blk, scsi-hd/scsi-cd on a [[scsi_controller]], or IDE/AHCI.
enum class DiskBus { virtio, scsi, ide };
VMFORGE_ENUM_TABLE(DiskBus, {{DiskBus::virtio, "virtio"}, {DiskBus::scsi, "scsi"}, {DiskBus::ide, "ide"}});

enum class DiskMedia { disk, cdrom };
VMFORGE_ENUM_TABLE(DiskMedia, {{DiskMedia::disk, "disk"}, {DiskMedia::cdrom, "cdrom"}});

enum class DiskAio { threads, native, io_uring };
VMFORGE_ENUM_TABLE(DiskAio,
                   {{DiskAio::threads, "threads"}, {DiskAio::native, "native"}, {DiskAio::io_uring, "io_uring"}});

/// The classic -drive cache modes; lowered to cache.direct / cache.no-flush / write-cache.
enum class DiskCache { none, writeback, writethrough, directsync, unsafe };
VMFORGE_ENUM_TABLE(DiskCache, {{DiskCache::none, "none"},
                               {DiskCache::writeback, "writeback"},
                               {DiskCache::writethrough, "writethrough"},
                               {DiskCache::directsync, "directsync"},
                               {DiskCache::unsafe, "unsafe"}});

enum class NetBackend { user, tap, macvtap, ipvtap, veth_tap, vhost_user, vfio };
VMFORGE_ENUM_TABLE(NetBackend, {{NetBackend::user, "user"},
                                {NetBackend::tap, "tap"},
                                {NetBackend::macvtap, "macvtap"},
                                {NetBackend::ipvtap, "ipvtap"},
                                {NetBackend::veth_tap, "veth-tap"},
                                {NetBackend::vhost_user, "vhost-user"},
                                {NetBackend::vfio, "vfio"}});

enum class CharBackend { file, socket, pty, pipe, tty, null, console };
VMFORGE_ENUM_TABLE(CharBackend, {{CharBackend::file, "file"},
                                 {CharBackend::socket, "socket"},
                                 {CharBackend::pty, "pty"},
                                 {CharBackend::pipe, "pipe"},
                                 {CharBackend::tty, "tty"},
                                 {CharBackend::null, "null"},
                                 {CharBackend::console, "console"}});

/// What the guest sees of a [[serial]]: a legacy 16550 UART (ttyS*), a virtio console (hvc*) or
/// a named virtio-serial port (/dev/virtio-ports/NAME).
enum class SerialFrontend { serial, virtconsole, virtserialport };
VMFORGE_ENUM_TABLE(SerialFrontend, {{SerialFrontend::serial, "serial"},
                                    {SerialFrontend::virtconsole, "virtconsole"},
                                    {SerialFrontend::virtserialport, "virtserialport"}});

enum class Fs9pSecurityModel { none, passthrough, mapped_xattr, mapped_file };
VMFORGE_ENUM_TABLE(Fs9pSecurityModel, {{Fs9pSecurityModel::none, "none"},
                                       {Fs9pSecurityModel::passthrough, "passthrough"},
                                       {Fs9pSecurityModel::mapped_xattr, "mapped-xattr"},
                                       {Fs9pSecurityModel::mapped_file, "mapped-file"}});

enum class Fs9pMultidev { remap, warn, forbid };
VMFORGE_ENUM_TABLE(Fs9pMultidev,
                   {{Fs9pMultidev::remap, "remap"}, {Fs9pMultidev::warn, "warn"}, {Fs9pMultidev::forbid, "forbid"}});

enum class VhostUserKind { blk, scsi };
VMFORGE_ENUM_TABLE(VhostUserKind, {{VhostUserKind::blk, "blk"}, {VhostUserKind::scsi, "scsi"}});

enum class VfioKind { pci, ccw, ap };
VMFORGE_ENUM_TABLE(VfioKind, {{VfioKind::pci, "pci"}, {VfioKind::ccw, "ccw"}, {VfioKind::ap, "ap"}});

enum class BridgeKind { pci, pcie_pci };
VMFORGE_ENUM_TABLE(BridgeKind, {{BridgeKind::pci, "pci"}, {BridgeKind::pcie_pci, "pcie-pci"}});

enum class CloudInitFormat { nocloud, config_2 };
VMFORGE_ENUM_TABLE(CloudInitFormat, {{CloudInitFormat::nocloud, "nocloud"}, {CloudInitFormat::config_2, "config-2"}});

#undef VMFORGE_ENUM_TABLE

}  // namespace vmforge
