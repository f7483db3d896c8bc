// The validation passes, one file per family, run in this order by validate_manifest():
// machine-wide tables first (devices check themselves against machine and memory), then the
// devices, then the links between them.
#pragma once

#include "compiler/manifest/raw_manifest.hpp"
#include "compiler/model/model.hpp"
#include "compiler/validate/context.hpp"

namespace vmforge {

/// Runs every pass over a shape-checked manifest. `vm` receives what could be read; it is
/// only meaningful if no error was reported.
void validate_manifest(const RawValue& root, ValidateContext& ctx, Vm& vm);

// One pass per family; the file is the family's (machine.cpp, pci.cpp ...), as in lower/.
void validate_machine(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_cpu(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_kernel(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_firmware(const RawValue& root, ValidateContext& ctx, Vm& vm);
/// After [firmware]: SEV's image and [firmware] 'pflash' exclude each other.
void validate_confidential(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_iothreads(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_throttle_groups(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_memory(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_process(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_rtc(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_fw_cfg(const RawValue& root, ValidateContext& ctx, Vm& vm);
/// [sandbox]; after [[net]] and [incoming], whose programs decide whether QEMU may spawn.
void validate_sandbox(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_pci(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_intel_iommu(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_storage(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_fs(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_net(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_chardev(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_devices(const RawValue& root, ValidateContext& ctx, Vm& vm);
void validate_cloud_init(const RawValue& root, ValidateContext& ctx, Vm& vm);
/// Cross-family rules (unique ids, slots, fds), once every table is read.
void validate_links(ValidateContext& ctx, Vm& vm);

/// The second and later tables of a kind QEMU allows once are errors.
void at_most_one(const Fields& f, std::size_t& seen, std::string_view kind);

/// Machine family of a QEMU machine name ("pc-q35-7.2" -> q35).
MachineFamily machine_family(std::string_view type);

/// The I/O limit keys of a [[disk]] or [[throttle_group]], checked as QEMU checks them.
IoLimits read_io_limits(const Fields& fields);

/// Whether the machine has a PCI bus devices can sit on (microvm only with pcie=on).
bool machine_has_pci(const Machine& machine);

/// Reads the keys shared by virtio/PCI device tables (transport, pci_bus, pci_addr,
/// disable_modern, romfile, devno) and checks them against the machine. `fixed` is the
/// transport of device kinds that decide it themselves (VFIO), whose tables have neither
/// 'transport' nor 'disable_modern'.
Placement read_placement(const Fields& fields, const Vm& vm, std::optional<Transport> fixed = std::nullopt);

/// The transport virtio devices use when the manifest does not say: mmio on microvm, ccw on
/// s390x, pci elsewhere.
Transport default_transport(const Machine& machine);

/// Whether the machine is an s390x one (the CCW transport).
bool is_s390(const Machine& machine);

/// Checks `hotplug = true` against the machine and the device's transport; returns the flag.
bool read_hotplug(const Fields& fields, const Vm& vm, Transport transport);

/// vhost-user back ends map guest memory: it must be shared and fd-backed.
void require_shared_memory(const Fields& fields, const Vm& vm);

/// The one rule for a file descriptor a manifest hands QEMU, `fd` given in `key`: within the
/// key's range (4 to 65535: 0-2 are stdio, 3 is the QMP socket vmforge itself passes). Reports
/// and returns nullopt otherwise.
std::optional<int> checked_fd(const Fields& fields, std::string_view key, std::int64_t fd);

/// Checks a pre-opened file descriptor number given in `key` (checked_fd()).
std::optional<int> read_fd_number(const Fields& fields, std::string_view key);

/// The cid of a [[vsock]] whose 'cid' is missing or invalid (already reported), which the
/// uniqueness check skips; 0-2 are the hypervisor, local and host, never a guest's.
inline constexpr std::uint32_t kNoCid = 0;

/// A unix socket path (absolute after resolution) that fits sun_path.
std::optional<std::string> read_socket_path(const Fields& fields, std::string_view key);

}  // namespace vmforge
