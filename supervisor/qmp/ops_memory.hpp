// Typed QMP operations: memory backends, DIMM / NVDIMM / virtio-mem devices, balloon.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

/// object-add of a memory backend; `size` is in bytes everywhere (govmm mixed MiB and bytes).
struct MemoryBackendAdd {
  std::string qom_type = "memory-backend-ram";  // "-ram", "-file", "-memfd"
  std::string id;
  std::uint64_t size = 0;
  std::string mem_path;        // memory-backend-file
  std::optional<bool> share;
  std::optional<bool> pmem;    // memory-backend-file behind an NVDIMM
  std::optional<bool> prealloc;
};
Command object_add_memory(const MemoryBackendAdd& backend);
/// object-del; fails with "… is in use" while a device still uses the object.
Command object_del(std::string_view id);

/// device_add of a memory device on a backend: "pc-dimm", "nvdimm", "virtio-mem-pci".
struct MemoryDeviceAdd {
  std::string driver = "pc-dimm";
  std::string id;
  std::string memdev;
  std::string bus;   // virtio-mem-pci only
  std::string addr;  // virtio-mem-pci only
  std::optional<std::uint64_t> requested_size;  // virtio-mem-pci
  std::optional<std::uint64_t> block_size;      // virtio-mem-pci
};
Command device_add_memory(const MemoryDeviceAdd& device);

/// object-add then device_add, removing the backend again if the device is refused (each
/// step has its own `timeout`, so the clean-up still runs after a slow failure). Covers
/// govmm's ExecMemdevAdd, ExecHotplugMemory and ExecuteNVDIMMDeviceAdd.
Result<void> hotplug_memory(BlockingClient& client, const MemoryBackendAdd& backend,
                            const MemoryDeviceAdd& device, Timeout timeout = kDefaultTimeout);

/// One entry of query-memory-devices: DIMM-like devices and virtio-mem.
struct MemoryDeviceInfo {
  std::string type;  // "dimm", "nvdimm", "virtio-mem", "virtio-pmem", "sgx-epc"
  std::string id;
  std::string memdev;  // "/objects/<backend id>"
  std::uint64_t addr = 0;
  std::uint64_t size = 0;
  std::int64_t node = 0;
  std::optional<std::int64_t> slot;
  std::optional<bool> hotplugged;
  std::optional<bool> hotpluggable;
  std::optional<std::uint64_t> requested_size;  // virtio-mem
  std::optional<std::uint64_t> max_size;        // virtio-mem
  std::optional<std::uint64_t> block_size;      // virtio-mem
};
Command query_memory_devices();
Result<std::vector<MemoryDeviceInfo>> parse_memory_devices(const JsonValue& reply);
Result<std::vector<MemoryDeviceInfo>> query_memory_devices(BlockingClient& client, Timeout timeout = kDefaultTimeout);

struct MemorySizeSummary {
  std::uint64_t base_memory = 0;
  std::optional<std::uint64_t> plugged_memory;
};
Command query_memory_size_summary();
Result<MemorySizeSummary> parse_memory_size_summary(const JsonValue& reply);

/// balloon: the guest's target size in bytes (clamped by QEMU to the RAM size).
Command balloon(std::uint64_t bytes);
struct BalloonInfo {
  std::uint64_t actual = 0;
};
/// Fails with class DeviceNotActive when there is no balloon device.
Command query_balloon();
Result<BalloonInfo> parse_balloon(const JsonValue& reply);
Result<BalloonInfo> query_balloon(BlockingClient& client, Timeout timeout = kDefaultTimeout);

}  // namespace vmforge::qmp
