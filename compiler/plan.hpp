// Plan: what `vmforge run` executes for a manifest: the frozen QEMU argv and the hotplug steps
// applied over QMP while QEMU is paused (and, with the same builders, later live changes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"
#include "compiler/resource_kind.hpp"

namespace vmforge {

struct Vm;

/// The QMP monitor listens on this inherited fd: the supervisor creates the listening unix
/// socket `<state dir>/qmp.sock` and maps it to fd 3 in the QEMU child.
inline constexpr int kQmpListenFd = 3;

/// The chardev id of that monitor (reserved: user ids cannot start with "vmforge").
inline constexpr std::string_view kQmpChardevId = "vmforge-qmp";

/// A file `run` opens before QEMU starts and passes as fd `fd`: the argv's `-add-fd fd=N,set=N`.
struct HostFile {
  int fd = -1;
  PassedFile file;
};

/// One step of a plan. `resource` names what it belongs to ("disk:data1"); `undo` reverts the
/// step when a later step of the same change fails (none for steps that cannot be reverted).
struct PlanStep {
  std::string resource;
  QmpCall call;
  std::optional<QmpCall> undo;
};

/// `argv` holds the arguments after the program name; `run` executes `qemu_binary` with
/// exactly these, fd 3 being the QMP listening socket.
struct Plan {
  std::string name;
  std::string qemu_binary;
  std::string manifest_sha256;
  std::vector<std::string> argv;
  std::vector<PlanStep> steps;
  /// Opened by `run` (as the supervisor's user) and inherited by QEMU at their numbers.
  std::vector<HostFile> files;
};

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

/// The first fd number of Plan::files: above the cloud-init seed and every other inherited fd.
int first_passed_fd(const Vm& vm);

/// The QEMU id of the hot-pluggable CPU in slot `slot` (plan resource "cpu:N").
std::string cpu_device_id(std::uint32_t slot);

/// The JSON `vmforge compile` prints: {"name","qemu","argv":[...],"plan":[...],
/// "manifest_sha256"}, one argv element and one step per line so diffs stay readable.
std::string render_plan_json(const Plan& plan);

/// One step as {"resource","command","arguments","completion","undo"}.
std::string render_step_json(const PlanStep& step);

}  // namespace vmforge
