// LowerContext: the state shared by the per-family lowering files (argv being built, the PCI
// layout, diagnostics), plus the small JSON/placement helpers every family uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/lower/kv_option.hpp"
#include "compiler/lower/pci_layout.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/qmp/ops_device.hpp"

namespace vmforge {

/// Ids of devices vmforge adds itself (user ids cannot start with "vmforge").
inline constexpr std::string_view kVgaId = "vmforge-vga";
inline constexpr std::string_view kRamBackendId = "vmforge-ram";

/// The layout of `vm`'s PCI devices (cold ones in argv order, hot ones in plan order).
Result<PciLayout> layout_of(const Vm& vm);

/// The cloud-init seed's virtio-blk placement (it has no [[disk]] table of its own).
Placement seed_placement(const Vm& vm);

class LowerContext {
 public:
  LowerContext(const Vm& vm, PciLayout layout) : vm_(vm), layout_(std::move(layout)) {}

  const Vm& vm() const { return vm_; }
  const PciLayout& layout() const { return layout_; }

  /// Appends `option` and its value (a JSON object, a path, ...) verbatim.
  void arg(std::string_view option, std::string value);
  /// Appends a lone flag such as "-nodefaults".
  void flag(std::string_view option);
  /// Appends `option` with the key=value text of `value`; an unescapable value becomes an
  /// error at the manifest position of `resource` ("machine", "disk:root").
  void kv(std::string_view option, const KvOption& value, std::string_view resource);
  void error(std::string_view resource, std::string message);
  /// Has `run` open `file` and pass it as the next fd N (`-add-fd fd=N,set=N`, the path as
  /// its opaque, which observation reads back); returns the name QEMU opens, "/dev/fdset/N".
  std::string pass_file(std::string_view resource, PassedFile file);

  std::vector<std::string> take_argv() { return std::move(argv_); }
  std::vector<HostFile> take_files() { return std::move(files_); }
  Diagnostics take_diagnostics() { return std::move(diagnostics_); }

 private:
  const Vm& vm_;
  PciLayout layout_;
  std::vector<std::string> argv_;
  std::vector<HostFile> files_;
  Diagnostics diagnostics_;
};

/// A size for key=value options, always with a unit ("512M", "4097B"): a bare number means
/// MiB to -m but bytes elsewhere.
std::string qemu_size(ByteSize size);

/// "virtio-blk" -> "virtio-blk-pci" / "-ccw" / "-device" (MMIO).
std::string virtio_driver(std::string_view base, Transport transport);

/// Where device `id` goes: "bus"/"addr" (from the manifest, else the layout),
/// "disable-modern", "romfile" for PCI; "devno", "iommu_platform" for CCW; nothing for MMIO.
qmp::DevicePlacement placement_of(const Vm& vm, const PciLayout& layout, const DeviceId& id,
                                  const Placement& placement);
/// Writes placement_of() into a -device object being written.
void write_placement(JsonWriter& w, const Vm& vm, const PciLayout& layout, const DeviceId& id,
                     const Placement& placement);

/// A JSON object as text, built by `fill`: `json_object([&](JsonWriter& w) { w.field(...); })`.
template <class Fill>
std::string json_object(Fill&& fill) {
  JsonWriter w;
  w.begin_object();
  fill(w);
  w.end_object();
  return w.take();
}

/// The fd set a hot-plugged resource's file goes in: fixed by the resource's name, so that
/// plug and unplug agree whatever else the running VM has, and far above Plan::files' sets.
std::int64_t hot_fdset_id(std::string_view key);
/// `add-fd` of `file` into hot_fdset_id(key), undone by `remove-fd` of the set; and that
/// remove-fd (after the last user of the set is gone), undone by adding `reopen` back, so that
/// the backends an undo re-creates find their file. QEMU opens "/dev/fdset/N".
/// `key` names the set (a resource may have several files); steps belong to `resource`.
PlanStep add_fd_step(const std::string& resource, std::string_view key, PassedFile file);
PlanStep remove_fd_step(const std::string& resource, std::string_view key, PassedFile reopen);
std::string hot_fdset_path(std::string_view key);

/// `add` (a device_add), undone by device_del of `id`.
PlanStep device_add_step(std::string resource, const std::string& id, QmpCall add);
/// device_del of `id`, complete on its DEVICE_DELETED; nothing undoes it.
PlanStep device_del_step(std::string resource, const std::string& id);
/// A device whose backend is a chardev: `chardev_add` (undone by chardev-remove), `device_add`;
/// and the reverse, chardev-remove only after DEVICE_DELETED.
std::vector<PlanStep> chardev_device_plug(const std::string& resource, QmpCall chardev_add, const std::string& chardev,
                                          const std::string& id, QmpCall device_add);
std::vector<PlanStep> chardev_device_unplug(const std::string& resource, const std::string& chardev,
                                            const std::string& id);

}  // namespace vmforge
