// Live migration: the `migrate` control request (`vmforge migrate NAME --to URI`) on the source,
// and what both ends set up from `[migration]` (the `run --incoming URI` side is
// supervisor_incoming.cpp). The source's supervisor starts QEMU's migration, follows it through
// MIGRATION events and query-migrate, switches to post-copy when asked, retries while the
// destination does not listen yet (--wait-for-destination), and, once QEMU says `completed`
// (with the return path on, only after the destination loaded the VM), quits its QEMU and ends
// with status 0. A failed or cancelled migration leaves the VM running here.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/model/model.hpp"
#include "compiler/qmp/ops_migration.hpp"

namespace vmforge::supervisor {

class Supervisor;

/// "tcp:HOST:PORT" or "unix:/PATH": the forms `migrate --to` and `run --incoming` take.
bool valid_migration_uri(std::string_view uri);

/// Every capability vmforge manages, each on or off (so an earlier attempt's are not kept):
/// events and return-path always on, the rest from `settings`. The same on both ends.
std::vector<qmp::MigrationCapability> migration_capabilities(const MigrationSettings& settings);
qmp::MigrationParameters migration_parameters(const MigrationSettings& settings);

/// Registers the `migrate` and `migrate-cancel` control requests.
void add_migration_handler(Supervisor& self);

}  // namespace vmforge::supervisor
