// The validation passes, one per concept file, run in this order by validate_manifest():
// machine-wide tables first (devices check themselves against machine and memory), then the
// devices, then the links between them.
#pragma once

#include "compiler/model.hpp"
#include "compiler/raw_manifest.hpp"
#include "compiler/validate_context.hpp"

namespace vmforge {

/// Runs every pass over a shape-checked manifest. `vm` receives what could be read; it is
/// only meaningful if no error was reported.
void validate_manifest(const RawValue& root, ValidateContext& ctx, Vm& vm);

void validate_machine(const RawValue& root, ValidateContext& ctx, Vm& vm);      // validate_machine.cpp
void validate_cpu(const RawValue& root, ValidateContext& ctx, Vm& vm);          // validate_machine.cpp
void validate_memory(const RawValue& root, ValidateContext& ctx, Vm& vm);       // validate_memory.cpp
void validate_boot(const RawValue& root, ValidateContext& ctx, Vm& vm);         // validate_boot.cpp
void validate_process(const RawValue& root, ValidateContext& ctx, Vm& vm);
/// [sandbox]; after [[net]] and [incoming], whose programs decide whether QEMU may spawn.
void validate_sandbox(const RawValue& root, ValidateContext& ctx, Vm& vm);      // validate_process.cpp
void validate_storage(const RawValue& root, ValidateContext& ctx, Vm& vm);      // validate_storage.cpp
void validate_shares(const RawValue& root, ValidateContext& ctx, Vm& vm);       // validate_storage.cpp
void validate_net(const RawValue& root, ValidateContext& ctx, Vm& vm);          // validate_net.cpp
void validate_chardev(const RawValue& root, ValidateContext& ctx, Vm& vm);      // validate_chardev.cpp
void validate_devices(const RawValue& root, ValidateContext& ctx, Vm& vm);      // validate_devices.cpp
void validate_pci(const RawValue& root, ValidateContext& ctx, Vm& vm);          // validate_pci.cpp
void validate_links(ValidateContext& ctx, Vm& vm);                              // validate_links.cpp

/// Machine family of a QEMU machine name ("pc-q35-7.2" -> q35).
MachineFamily machine_family(std::string_view type);

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
