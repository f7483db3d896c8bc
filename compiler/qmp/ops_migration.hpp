// Typed QMP operations: migration set-up, start, incoming side and progress. The settings
// govmm-era QEMU took through migrate_set_speed/_downtime are migrate-set-parameters now.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

struct MigrationCapability {
  std::string name;  // "x-ignore-shared", "events", "postcopy-ram", … (not govmm's "bypass-shared-memory")
  bool state = true;
};
QmpCall migrate_set_capabilities(const std::vector<MigrationCapability>& capabilities);

struct MigrationParameters {
  std::optional<std::uint64_t> max_bandwidth;   // bytes/s (was migrate_set_speed)
  std::optional<std::uint64_t> downtime_limit;  // ms (was migrate_set_downtime)
  std::optional<std::uint64_t> multifd_channels;  // with the multifd capability, on both ends
};
QmpCall migrate_set_parameters(const MigrationParameters& parameters);

/// Starts an outgoing migration to `uri` ("unix:/path", "tcp:host:port", "exec:…", "fd:NAME");
/// the reply comes at once, progress is in query-migrate / MIGRATION events.
QmpCall migrate(std::string_view uri);
/// For QEMU started with `-incoming defer`.
QmpCall migrate_incoming(std::string_view uri);
QmpCall migrate_cancel();
/// With postcopy-ram on both ends: run the VM on the destination now, RAM follows on demand.
QmpCall migrate_start_postcopy();

struct MigrationRam {
  std::uint64_t transferred = 0;
  std::uint64_t remaining = 0;
  std::uint64_t total = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t normal = 0;
  std::uint64_t normal_bytes = 0;
  std::uint64_t dirty_sync_count = 0;
  std::uint64_t dirty_pages_rate = 0;  // pages/s dirtied by the guest in the last pass
  std::uint64_t page_size = 0;
};
/// query-migrate; every member is optional ({} before the first migration).
struct MigrationInfo {
  std::optional<std::string> status;  // "setup", "active", "completed", "failed", "cancelled", …
  std::optional<MigrationRam> ram;
  std::optional<std::int64_t> total_time;  // ms
  std::optional<std::int64_t> downtime;
  std::optional<std::int64_t> expected_downtime;
  std::optional<std::int64_t> setup_time;
  std::optional<std::string> error_desc;
};
QmpCall query_migrate();
Result<MigrationInfo> parse_migration(const JsonValue& reply);

}  // namespace vmforge::qmp
