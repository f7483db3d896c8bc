// The lowering families: each appends its part of the argv, in the fixed order lower() calls
// them, and builds the plug/unplug steps of the hot-pluggable devices it owns.
#pragma once

#include <vector>

#include "compiler/lower_context.hpp"

namespace vmforge {

// argv, in this order (lower.cpp)
void lower_machine(LowerContext& ctx);    // -name -uuid -machine -accel -cpu -smp -m, RAM, firmware, kernel
void lower_process(LowerContext& ctx);    // knobs, display, monitors, rtc, globals, sandbox, incoming...
void lower_buses(LowerContext& ctx);      // intel-iommu, root ports, bridges, VGA
void lower_block(LowerContext& ctx);      // scsi controllers, disks, vhost-user blk/scsi
void lower_char(LowerContext& ctx);       // virtio-serial controllers, chardevs and their frontends
void lower_net(LowerContext& ctx);
void lower_fs(LowerContext& ctx);         // 9p, virtio-fs
void lower_misc(LowerContext& ctx);       // vfio, vsock, balloon, rng, cloud-init seed, pvpanic, loader
void lower_memory(LowerContext& ctx);     // dimms, nvdimms
void lower_extra(LowerContext& ctx);      // the manifest's raw arguments, always last

/// The members of a memory backend object (-object / object-add), braces excluded.
void write_memory_backend(JsonWriter& w, std::string_view id, ByteSize size, const MemoryBackend& backend);

/// chardev-add arguments for a unix socket chardev (listening with wait=off, or connecting).
std::string socket_chardev_add_json(const std::string& id, const std::string& path, bool server);

// plug/unplug steps of one device (the device is hot-pluggable; lower.cpp checked it)
std::vector<PlanStep> scsi_controller_plug(const Vm& vm, const PciLayout& layout, const ScsiController& c);
std::vector<PlanStep> scsi_controller_unplug(const ScsiController& c);
std::vector<PlanStep> disk_plug(const Vm& vm, const PciLayout& layout, const Disk& disk);
std::vector<PlanStep> disk_unplug(const Disk& disk);
std::vector<PlanStep> vhost_user_plug(const Vm& vm, const PciLayout& layout, const VhostUser& dev);
std::vector<PlanStep> vhost_user_unplug(const VhostUser& dev);
std::vector<PlanStep> virtio_serial_plug(const Vm& vm, const PciLayout& layout, const VirtioSerial& c);
std::vector<PlanStep> virtio_serial_unplug(const VirtioSerial& c);
std::vector<PlanStep> serial_plug(const Serial& serial);
std::vector<PlanStep> serial_unplug(const Serial& serial);
std::vector<PlanStep> net_plug(const Vm& vm, const PciLayout& layout, const Net& net);
std::vector<PlanStep> net_unplug(const Net& net);
/// set_link steps for a NIC that starts with its link down (cold ones too: part of the boot plan).
std::vector<PlanStep> net_link_steps(const Net& net);
std::vector<PlanStep> virtio_fs_plug(const Vm& vm, const PciLayout& layout, const VirtioFs& fs);
std::vector<PlanStep> virtio_fs_unplug(const VirtioFs& fs);
std::vector<PlanStep> vfio_plug(const Vm& vm, const PciLayout& layout, const Vfio& vfio);
std::vector<PlanStep> vfio_unplug(const Vfio& vfio);
std::vector<PlanStep> vsock_plug(const Vm& vm, const PciLayout& layout, const Vsock& vsock);
std::vector<PlanStep> vsock_unplug(const Vsock& vsock);
std::vector<PlanStep> dimm_plug(const Dimm& dimm);
std::vector<PlanStep> dimm_unplug(const Dimm& dimm);
std::vector<PlanStep> cpu_plug(const Vm& vm, std::uint32_t slot);
std::vector<PlanStep> cpu_unplug(std::uint32_t slot);

}  // namespace vmforge
