// One line from query-migrate.
#include "cli/migration_text.hpp"

#include <fmt/format.h>

namespace vmforge::cli {
namespace {

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

std::string migration_text(const qmp::MigrationInfo& info) {
  std::string text = info.status.value_or("none");
  if (!info.ram) return text;
  const qmp::MigrationRam& ram = *info.ram;
  return fmt::format("{}: {:.1f} MiB sent, {:.1f} of {:.1f} MiB remaining, dirtying {:.1f} MiB/s, expected downtime "
                     "{} ms",
                     text, mib(ram.transferred), mib(ram.remaining), mib(ram.total),
                     mib(ram.dirty_pages_rate * ram.page_size), info.expected_downtime.value_or(0));
}

}  // namespace vmforge::cli
