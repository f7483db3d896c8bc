// Lifecycle, QOM, schema and dump operations.
#include "supervisor/qmp/ops_lifecycle.hpp"

#include "supervisor/qmp/reply_reader.hpp"

namespace vmforge::qmp {

Command stop() { return {"stop", {}, {}}; }
Command cont() { return {"cont", {}, {}}; }
Command quit() { return {"quit", {}, {}}; }
Command system_reset() { return {"system_reset", {}, {}}; }
Command system_powerdown() { return {"system_powerdown", {}, {}}; }

Command system_powerdown_until_shutdown() {
  return {"system_powerdown", {}, EventMatch{"SHUTDOWN", {}}};
}

Command query_status() { return {"query-status", {}, {}}; }

Result<StatusInfo> parse_status(const JsonValue& reply) {
  ReplyReader r("query-status", reply);
  StatusInfo s;
  s.running = r.boolean("running");
  s.singlestep = r.boolean("singlestep");
  s.status = r.string("status");
  return r.finish(std::move(s));
}

Result<StatusInfo> query_status(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_status(), timeout, &parse_status);
}

Command query_qmp_schema() { return {"query-qmp-schema", {}, {}}; }

Result<std::vector<SchemaInfo>> parse_schema(const JsonValue& reply) {
  return read_array<SchemaInfo>("query-qmp-schema", reply, [](ReplyReader& r) {
    return SchemaInfo{r.string("name"), r.string("meta-type"), {}};
  });
}

Result<std::vector<SchemaInfo>> query_qmp_schema(BlockingClient& client, Timeout timeout) {
  VMFORGE_TRY(JsonValue reply, run(client, query_qmp_schema(), timeout));
  VMFORGE_TRY(std::vector<SchemaInfo> infos, parse_schema(reply));
  JsonArray* items = reply.as_array();
  for (std::size_t i = 0; i < infos.size(); ++i) infos[i].raw = std::move((*items)[i]);
  return infos;
}

Command qom_get(std::string_view path, std::string_view property) {
  return {"qom-get", Arguments().set("path", path).set("property", property).take(), {}};
}

Command qom_set(std::string_view path, std::string_view property, const JsonValue& value) {
  return {"qom-set", Arguments().set("path", path).set("property", property).set_json("value", value.to_json()).take(), {}};
}

Command qom_list(std::string_view path) { return {"qom-list", Arguments().set("path", path).take(), {}}; }

Result<std::vector<QomProperty>> parse_qom_list(const JsonValue& reply) {
  return read_array<QomProperty>("qom-list", reply, [](ReplyReader& r) {
    return QomProperty{r.string("name"), r.string("type")};
  });
}

Result<std::vector<QomProperty>> qom_list(BlockingClient& client, std::string_view path, Timeout timeout) {
  return run_typed(client, qom_list(path), timeout, &parse_qom_list);
}

Command dump_guest_memory(const DumpGuestMemory& dump) {
  Arguments a;
  a.set("protocol", dump.protocol).set("paging", dump.paging).set_if("format", dump.format);
  if (dump.detach) {
    a.set("detach", true);
    return {"dump-guest-memory", a.take(), EventMatch{"DUMP_COMPLETED", {}}};
  }
  return {"dump-guest-memory", a.take(), {}};
}

}  // namespace vmforge::qmp
