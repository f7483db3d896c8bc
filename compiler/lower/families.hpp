// The lowering families: each appends its part of the argv, in the fixed order lower() calls
// them, and builds the plug/unplug steps of the hot-pluggable devices it owns.
#pragma once

#include <vector>

#include "compiler/lower/context.hpp"
#include "compiler/model/kind_devices.hpp"
#include "compiler/qmp/ops_memory.hpp"

namespace vmforge {

// argv, in this order (lower.cpp)
void lower_machine(LowerContext& ctx);  // -name -uuid -machine -accel -cpu -smp -m, RAM, firmware, kernel
void lower_process(LowerContext& ctx);  // knobs, display, monitors, rtc, globals, sandbox, incoming...
void lower_pci(LowerContext& ctx);      // intel-iommu, root ports, bridges, VGA
void lower_storage(LowerContext& ctx);  // scsi controllers, disks, vhost-user blk/scsi
void lower_chardev(LowerContext& ctx);  // virtio-serial controllers, chardevs and their frontends
void lower_net(LowerContext& ctx);
void lower_fs(LowerContext& ctx);       // 9p, virtio-fs
void lower_devices(LowerContext& ctx);  // vfio, vsock, balloon, rng, cloud-init seed, pvpanic, loader
void lower_memory(LowerContext& ctx);   // dimms, nvdimms
void lower_extra(LowerContext& ctx);    // the manifest's raw arguments, always last

/// A memory backend object (-object / object-add).
qmp::MemoryBackendAdd memory_backend(std::string id, ByteSize size, const MemoryBackend& backend);

// plug/unplug steps of one device (the device is hot-pluggable; lower.cpp checked it)
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const ScsiController& c);
std::vector<PlanStep> unplug(const ScsiController& c);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Disk& disk);
std::vector<PlanStep> unplug(const Disk& disk);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VhostUser& dev);
std::vector<PlanStep> unplug(const VhostUser& dev);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VirtioSerial& c);
std::vector<PlanStep> unplug(const VirtioSerial& c);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Serial& serial);
std::vector<PlanStep> unplug(const Serial& serial);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Net& net);
std::vector<PlanStep> unplug(const Net& net);
/// set_link steps for a NIC that starts with its link down (cold ones too: part of the boot plan).
std::vector<PlanStep> net_link_steps(const Net& net);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VirtioFs& fs);
std::vector<PlanStep> unplug(const VirtioFs& fs);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Vfio& vfio);
std::vector<PlanStep> unplug(const Vfio& vfio);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Vsock& vsock);
std::vector<PlanStep> unplug(const Vsock& vsock);
std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const Dimm& dimm);
std::vector<PlanStep> unplug(const Dimm& dimm);
std::vector<PlanStep> cpu_plug(const Vm& vm, std::uint32_t slot);
std::vector<PlanStep> cpu_unplug(std::uint32_t slot);

}  // namespace vmforge
