// Lifecycle, QOM, schema and dump operations.
#include "compiler/qmp/ops_lifecycle.hpp"

#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/reply_reader.hpp"

namespace vmforge::qmp {

QmpCall stop() { return {"stop", {}, {}}; }
QmpCall cont() { return {"cont", {}, {}}; }
QmpCall quit() { return {"quit", {}, {}}; }
QmpCall system_reset() { return {"system_reset", {}, {}}; }
QmpCall system_powerdown() { return {"system_powerdown", {}, {}}; }

QmpCall system_powerdown_until_shutdown() {
  return {"system_powerdown", {}, Completion{Completion::Kind::event, "SHUTDOWN", {}}};
}

QmpCall query_status() { return {"query-status", {}, {}}; }

Result<StatusInfo> parse_status(const JsonValue& reply) {
  ReplyReader r("query-status", reply);
  StatusInfo s;
  s.running = r.boolean("running");
  s.singlestep = r.boolean("singlestep");
  s.status = r.string("status");
  return r.finish(std::move(s));
}

QmpCall query_qmp_schema() { return {"query-qmp-schema", {}, {}}; }

Result<std::vector<SchemaInfo>> parse_schema(const JsonValue& reply) {
  return read_array<SchemaInfo>("query-qmp-schema", reply, [](ReplyReader& r) {
    return SchemaInfo{r.string("name"), r.string("meta-type"), {}};
  });
}

QmpCall qom_get(std::string_view path, std::string_view property) {
  return {"qom-get", Arguments().set("path", path).set("property", property).take(), {}};
}

QmpCall qom_set(std::string_view path, std::string_view property, const JsonValue& value) {
  return {
      "qom-set", Arguments().set("path", path).set("property", property).set_json("value", value.to_json()).take(), {}};
}

QmpCall qom_list(std::string_view path) { return {"qom-list", Arguments().set("path", path).take(), {}}; }

Result<std::vector<QomProperty>> parse_qom_list(const JsonValue& reply) {
  return read_array<QomProperty>("qom-list", reply, [](ReplyReader& r) {
    return QomProperty{r.string("name"), r.string("type")};
  });
}

QmpCall dump_guest_memory(const DumpGuestMemory& dump) {
  Arguments a;
  a.set("protocol", dump.protocol).set("paging", dump.paging).set_if("format", dump.format);
  if (dump.detach) {
    a.set("detach", true);
    return {"dump-guest-memory", a.take(), Completion{Completion::Kind::event, "DUMP_COMPLETED", {}}};
  }
  return {"dump-guest-memory", a.take(), {}};
}

}  // namespace vmforge::qmp
