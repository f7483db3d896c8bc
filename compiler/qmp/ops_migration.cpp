// Migration builders and query-migrate parsing.
#include "compiler/qmp/ops_migration.hpp"

#include "compiler/base/json_writer.hpp"
#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/reply_reader.hpp"

namespace vmforge::qmp {

QmpCall migrate_set_capabilities(const std::vector<MigrationCapability>& capabilities) {
  JsonWriter list;
  list.begin_array();
  for (const MigrationCapability& c : capabilities) {
    list.begin_object().field("capability", c.name).field("state", c.state).end_object();
  }
  list.end_array();
  return {"migrate-set-capabilities", Arguments().set_json("capabilities", list.str()).take(), {}};
}

QmpCall migrate_set_parameters(const MigrationParameters& parameters) {
  Arguments a;
  a.set_if("max-bandwidth", parameters.max_bandwidth).set_if("downtime-limit", parameters.downtime_limit);
  a.set_if("multifd-channels", parameters.multifd_channels);
  return {"migrate-set-parameters", a.take(), {}};
}

QmpCall migrate(std::string_view uri) { return {"migrate", Arguments().set("uri", uri).take(), {}}; }
QmpCall migrate_incoming(std::string_view uri) { return {"migrate-incoming", Arguments().set("uri", uri).take(), {}}; }
QmpCall migrate_cancel() { return {"migrate_cancel", {}, {}}; }
QmpCall migrate_start_postcopy() { return {"migrate-start-postcopy", {}, {}}; }
QmpCall query_migrate() { return {"query-migrate", {}, {}}; }

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
    m.ram = MigrationRam{ram.uint64("transferred"),     ram.uint64("remaining"), ram.uint64("total"),
                         ram.uint64("duplicate"),       ram.uint64("normal"),    ram.uint64("normal-bytes"),
                         ram.uint64("dirty-sync-count"),  ram.opt_uint64("dirty-pages-rate").value_or(0),
                         ram.opt_uint64("page-size").value_or(0)};
  }
  return r.finish(std::move(m));
}

}  // namespace vmforge::qmp
