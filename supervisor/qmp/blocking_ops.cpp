// Typed operations on a BlockingClient: queries parsed into structs, memory hotplug with
// roll-back, migration to its end.
#include "supervisor/qmp/blocking_ops.hpp"

#include <cerrno>

#include <fmt/format.h>

namespace vmforge::qmp {
namespace {

// Runs `call` and parses its reply with `parse`.
template <class T>
Result<T> run_typed(BlockingClient& client, const QmpCall& call, Timeout timeout,
                    Result<T> (*parse)(const JsonValue&)) {
  VMFORGE_TRY(JsonValue reply, client.execute(call, timeout));
  return parse(reply);
}

Result<void> run_void(BlockingClient& client, const QmpCall& call, Timeout timeout) {
  VMFORGE_TRY_VOID(client.execute(call, timeout));
  return {};
}

}  // namespace

Result<StatusInfo> query_status(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_status(), timeout, &parse_status);
}

Result<std::vector<SchemaInfo>> query_qmp_schema(BlockingClient& client, Timeout timeout) {
  VMFORGE_TRY(JsonValue reply, client.execute(query_qmp_schema(), timeout));
  VMFORGE_TRY(std::vector<SchemaInfo> infos, parse_schema(reply));
  JsonArray* items = reply.as_array();
  for (std::size_t i = 0; i < infos.size(); ++i) infos[i].raw = std::move((*items)[i]);
  return infos;
}

Result<std::vector<QomProperty>> qom_list(BlockingClient& client, std::string_view path, Timeout timeout) {
  return run_typed(client, qom_list(path), timeout, &parse_qom_list);
}

Result<std::vector<HotpluggableCpu>> query_hotpluggable_cpus(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_hotpluggable_cpus(), timeout, &parse_hotpluggable_cpus);
}

Result<std::vector<CpuInfoFast>> query_cpus_fast(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_cpus_fast(), timeout, &parse_cpus_fast);
}

Result<void> hotplug_memory(BlockingClient& client, const MemoryBackendAdd& backend, const MemoryDeviceAdd& device,
                            Timeout timeout) {
  VMFORGE_TRY_VOID(run_void(client, object_add_memory(backend), timeout));
  auto added = run_void(client, device_add(device), timeout);
  if (added) return {};
  if (auto undone = run_void(client, object_del(backend.id), timeout); !undone) {
    return unexpected(Error(fmt::format("{}; removing memory backend '{}' again failed too: {}", added.error().message,
                                        backend.id, undone.error().message),
                            added.error().errno_value));
  }
  return added;
}

Result<std::vector<MemoryDeviceInfo>> query_memory_devices(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_memory_devices(), timeout, &parse_memory_devices);
}

Result<BalloonInfo> query_balloon(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_balloon(), timeout, &parse_balloon);
}

Result<MigrationInfo> query_migrate(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_migrate(), timeout, &parse_migration);
}

Result<void> migrate_and_wait(BlockingClient& client, std::string_view uri, Timeout timeout) {
  VMFORGE_TRY_VOID(run_void(client, migrate_set_capabilities({{"events", true}}), timeout));
  EventMatch done{"MIGRATION", [](const Event& e) {
                    auto status = e.data.get_string("status");
                    return status && (*status == "completed" || *status == "failed" || *status == "cancelled");
                  }};
  QmpCall call = migrate(uri);
  VMFORGE_TRY(JsonValue data, client.execute_until(call.command, call.arguments, std::move(done), timeout));
  std::string_view status = *data.get_string("status");
  if (status == "completed") return {};
  auto info = query_migrate(client, timeout);
  std::string why = info && info->error_desc ? *info->error_desc : std::string("QEMU gave no reason");
  return unexpected(Error(fmt::format("Migration to '{}' {}: {}", uri, status, why), EIO));
}

}  // namespace vmforge::qmp
