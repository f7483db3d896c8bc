// Typed QMP operations: CPU hotplug and CPU queries (query-cpus, removed in QEMU 6.0, is
// query-cpus-fast here).
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

/// The topology ids of a CPU slot, as query-hotpluggable-cpus reports them.
struct CpuProps {
  std::optional<std::int64_t> node_id;
  std::optional<std::int64_t> socket_id;
  std::optional<std::int64_t> die_id;
  std::optional<std::int64_t> cluster_id;
  std::optional<std::int64_t> core_id;
  std::optional<std::int64_t> thread_id;
};

/// device_add of a CPU into a free slot (ExecuteCPUDeviceAdd); ids are numbers (govmm sent
/// strings). `driver` is the slot's `type` from query-hotpluggable-cpus.
struct CpuDeviceAdd {
  std::string driver;  // "qemu64-x86_64-cpu", …
  std::string id;
  CpuProps props;
};
std::string arguments(const CpuDeviceAdd& cpu);

/// device_del of a hot-added x86 CPU, complete when QEMU deletes it. QEMU 7.2 sends no
/// DEVICE_DELETED naming a CPU; it does send one for the CPU's local APIC child
/// ("/machine/peripheral/<id>/lapic") once the guest has ejected the CPU. QEMU 7.2 (TCG)
/// corrupts its heap in this unplug: the next ACPI hotplug event (re-plugging the slot, any
/// device_add of a DIMM or PCI device, even the power button) aborts QEMU with "double free or
/// corruption". Treat a CPU unplug as the VM's last hotplug until a restart.
QmpCall device_del_cpu(std::string_view id);

struct HotpluggableCpu {
  std::string type;
  std::int64_t vcpus_count = 0;
  CpuProps props;
  std::optional<std::string> qom_path;  // set when the slot is occupied
};
QmpCall query_hotpluggable_cpus();
Result<std::vector<HotpluggableCpu>> parse_hotpluggable_cpus(const JsonValue& reply);

struct CpuInfoFast {
  std::int64_t cpu_index = 0;
  std::string qom_path;
  std::int64_t thread_id = 0;  // the host thread
  std::string target;          // "x86_64" (govmm's `arch` member is gone)
  CpuProps props;
};
QmpCall query_cpus_fast();
Result<std::vector<CpuInfoFast>> parse_cpus_fast(const JsonValue& reply);

}  // namespace vmforge::qmp
