// The typed operations that take more than one call or parse a reply, run to completion on a
// BlockingClient. The calls themselves are built in compiler/qmp/ops_*.hpp.
#pragma once

#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/qmp/ops_cpu.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "compiler/qmp/ops_memory.hpp"
#include "compiler/qmp/ops_migration.hpp"
#include "supervisor/qmp/blocking_client.hpp"

namespace vmforge::qmp {

Result<StatusInfo> query_status(BlockingClient& client, Timeout timeout = kDefaultTimeout);
Result<std::vector<SchemaInfo>> query_qmp_schema(BlockingClient& client, Timeout timeout = kDefaultTimeout);
Result<std::vector<QomProperty>> qom_list(BlockingClient& client, std::string_view path,
                                          Timeout timeout = kDefaultTimeout);

Result<std::vector<HotpluggableCpu>> query_hotpluggable_cpus(BlockingClient& client, Timeout timeout = kDefaultTimeout);
Result<std::vector<CpuInfoFast>> query_cpus_fast(BlockingClient& client, Timeout timeout = kDefaultTimeout);

/// object-add then device_add, removing the backend again if the device is refused (each
/// step has its own `timeout`, so the clean-up still runs after a slow failure). Covers
/// govmm's ExecMemdevAdd, ExecHotplugMemory and ExecuteNVDIMMDeviceAdd.
Result<void> hotplug_memory(BlockingClient& client, const MemoryBackendAdd& backend, const MemoryDeviceAdd& device,
                            Timeout timeout = kDefaultTimeout);
Result<std::vector<MemoryDeviceInfo>> query_memory_devices(BlockingClient& client, Timeout timeout = kDefaultTimeout);
Result<BalloonInfo> query_balloon(BlockingClient& client, Timeout timeout = kDefaultTimeout);

Result<MigrationInfo> query_migrate(BlockingClient& client, Timeout timeout = kDefaultTimeout);
/// Turns on the 'events' capability, starts the migration and waits for its MIGRATION event
/// to reach "completed" (or fails with the final status and QEMU's error-desc).
Result<void> migrate_and_wait(BlockingClient& client, std::string_view uri, Timeout timeout);

}  // namespace vmforge::qmp
