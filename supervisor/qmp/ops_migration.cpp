// Migration builders, query-migrate parsing, and migrate_and_wait.
#include "supervisor/qmp/ops_migration.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "supervisor/qmp/reply_reader.hpp"

namespace vmforge::qmp {

Command migrate_set_capabilities(const std::vector<MigrationCapability>& capabilities) {
  JsonWriter list;
  list.begin_array();
  for (const MigrationCapability& c : capabilities) {
    list.begin_object().field("capability", c.name).field("state", c.state).end_object();
  }
  list.end_array();
  return {"migrate-set-capabilities", Arguments().set_json("capabilities", list.str()).take(), {}};
}

Command migrate_set_parameters(const MigrationParameters& parameters) {
  Arguments a;
  a.set_if("max-bandwidth", parameters.max_bandwidth).set_if("downtime-limit", parameters.downtime_limit);
  return {"migrate-set-parameters", a.take(), {}};
}

Command migrate(std::string_view uri) { return {"migrate", Arguments().set("uri", uri).take(), {}}; }
Command migrate_incoming(std::string_view uri) { return {"migrate-incoming", Arguments().set("uri", uri).take(), {}}; }
Command migrate_cancel() { return {"migrate_cancel", {}, {}}; }
Command query_migrate() { return {"query-migrate", {}, {}}; }

Result<MigrationInfo> parse_migration(const JsonValue& reply) {
  ReplyReader r("query-migrate", reply);
  MigrationInfo m;
  m.status = r.opt_string("status");
  m.total_time = r.opt_int64("total-time");
  m.downtime = r.opt_int64("downtime");
  m.expected_downtime = r.opt_int64("expected-downtime");
  m.setup_time = r.opt_int64("setup-time");
  m.error_desc = r.opt_string("error-desc");
  if (reply.find("ram") != nullptr) {
    ReplyReader ram = r.child("ram");
    m.ram = MigrationRam{ram.uint64("transferred"), ram.uint64("remaining"), ram.uint64("total"),
                         ram.uint64("duplicate"),   ram.uint64("normal"),    ram.uint64("normal-bytes"),
                         ram.uint64("dirty-sync-count")};
  }
  return r.finish(std::move(m));
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
  Command command = migrate(uri);
  VMFORGE_TRY(JsonValue data, client.execute_until(command.name, command.arguments, std::move(done), timeout));
  std::string_view status = *data.get_string("status");
  if (status == "completed") return {};
  auto info = query_migrate(client, timeout);
  std::string why = info && info->error_desc ? *info->error_desc : std::string("QEMU gave no reason");
  return unexpected(Error(fmt::format("Migration to '{}' {}: {}", uri, status, why), EIO));
}

}  // namespace vmforge::qmp
