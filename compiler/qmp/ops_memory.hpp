// Typed QMP operations: memory backends, DIMM / NVDIMM / virtio-mem devices, balloon.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"
#include "compiler/qmp/ops_device.hpp"

namespace vmforge::qmp {

/// object-add of a memory backend; `size` is in bytes everywhere (govmm mixed MiB and bytes).
struct MemoryBackendAdd {
  std::string qom_type = "memory-backend-ram";  // "-ram", "-file", "-memfd"
  std::string id;
  std::uint64_t size = 0;
  std::string mem_path;         // memory-backend-file
  std::optional<bool> hugetlb;  // memory-backend-memfd
  std::optional<bool> share;
  std::optional<bool> pmem;  // memory-backend-file behind an NVDIMM
  std::optional<bool> prealloc;
};
/// The argument object, which -object takes too.
std::string arguments(const MemoryBackendAdd& backend);
QmpCall object_add_memory(const MemoryBackendAdd& backend);
/// object-del; fails with "… is in use" while a device still uses the object.
QmpCall object_del(std::string_view id);

/// device_add of a memory device on a backend: "pc-dimm", "nvdimm", "virtio-mem-pci".
struct MemoryDeviceAdd {
  std::string driver = "pc-dimm";
  std::string id;
  std::string memdev;
  std::string bus;                              // virtio-mem-pci only
  std::string addr;                             // virtio-mem-pci only
  std::optional<std::uint64_t> requested_size;  // virtio-mem-pci
  std::optional<std::uint64_t> block_size;      // virtio-mem-pci
};
std::string arguments(const MemoryDeviceAdd& device);

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
QmpCall query_memory_devices();
Result<std::vector<MemoryDeviceInfo>> parse_memory_devices(const JsonValue& reply);

struct MemorySizeSummary {
  std::uint64_t base_memory = 0;
  std::optional<std::uint64_t> plugged_memory;
};
QmpCall query_memory_size_summary();
Result<MemorySizeSummary> parse_memory_size_summary(const JsonValue& reply);

/// balloon: the guest's target size in bytes (clamped by QEMU to the RAM size).
QmpCall balloon(std::uint64_t bytes);
struct BalloonInfo {
  std::uint64_t actual = 0;
};
/// Fails with class DeviceNotActive when there is no balloon device.
QmpCall query_balloon();
Result<BalloonInfo> parse_balloon(const JsonValue& reply);

}  // namespace vmforge::qmp
