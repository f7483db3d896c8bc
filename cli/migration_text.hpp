// How `migrate` (its progress line) and `status` (its Migration line) put a query-migrate.
#pragma once

#include <string>

#include "compiler/qmp/ops_migration.hpp"

namespace vmforge::cli {

/// "active: 12.0 MiB sent, 400.1 of 512.0 MiB remaining, dirtying 0.1 MiB/s, expected downtime
/// 300 ms" (the RAM figures only when QEMU has them).
std::string migration_text(const qmp::MigrationInfo& info);

}  // namespace vmforge::cli
