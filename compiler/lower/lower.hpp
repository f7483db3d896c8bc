// lower(): a validated Vm to its Plan; the plug/unplug steps of one resource, which the boot
// plan and live changes share; the fd numbers `run` passes files at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model/pci_pins.hpp"
#include "compiler/model/resource_kind.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge {

struct Vm;

/// Lowers a validated model to its frozen argv and boot-time hotplug steps. Deterministic:
/// the same model gives the same bytes; `manifest_sha256` is the model's `source_sha256`.
/// Fails, with diagnostics at the manifest position, when a value cannot be put into QEMU's
/// syntax (validation normally refuses those first), when QEMU 7.2 would abort on the
/// configuration (an option ROM on a bridge), or when the root bus runs out of PCI slots.
Result<Plan, Diagnostics> lower(const Vm& vm);

/// The steps that add `resource` to a running VM built from `vm`, and those that remove it
/// again; the boot plan and live changes both use them. Resources: "disk:ID", "net:ID",
/// "serial:ID" / "console:ID" / "channel:ID" (a [[serial]] by frontend), "vsock:ID", "fs:ID"
/// (virtio-fs), "vfio:ID", "dimm:ID", "scsi_controller:ID", "virtio_serial:ID",
/// "vhost_user:ID" (each with `hotplug = true` in `vm`), and "cpu:N" for count <= N < max. PCI
/// devices go on the root port (q35) or pci.0 slot (pc) the layout of `vm` gives them, unless
/// their placement names a bus. Anything else is an Error saying why.
Result<std::vector<PlanStep>> plug_steps(const Vm& vm, const ResourceKey& resource);
Result<std::vector<PlanStep>> unplug_steps(const Vm& vm, const ResourceKey& resource);
/// The same for a resource named as text ("disk:data1").
Result<std::vector<PlanStep>> plug_steps(const Vm& vm, std::string_view resource);
Result<std::vector<PlanStep>> unplug_steps(const Vm& vm, std::string_view resource);

/// The fd number at which `run` must pass the cloud-init seed image (opened read-only) to QEMU,
/// when the manifest has [cloud_init]: one above every other inherited fd, so it is the same
/// for the same manifest. The argv reads it as fd set /dev/fdset/N.
std::optional<int> cloud_init_seed_fd(const Vm& vm);

/// The fd number at which `run` passes the listening socket `<state dir>/serial.sock` of the
/// [[serial]] whose backend is 'console' (QEMU serves it, the supervisor is its one client), when
/// the manifest has one: above the cloud-init seed and every other inherited fd.
std::optional<int> console_listen_fd(const Vm& vm);

/// The first fd number of Plan::files: above the console socket, the cloud-init seed and every
/// other inherited fd.
int first_passed_fd(const Vm& vm);

/// Where a VM lowered from `vm` has its PCI devices before anything is plugged live: its
/// generated root ports and the hot devices on them (those of `vm.pci_pins` if it has them).
Result<PciPins> pci_pins_of(const Vm& vm);

/// The QEMU id of the hot-pluggable CPU in slot `slot` (plan resource "cpu:N").
std::string cpu_device_id(std::uint32_t slot);

}  // namespace vmforge
