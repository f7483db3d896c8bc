// CPU hotplug builder and CPU query parsers.
#include "compiler/qmp/ops_cpu.hpp"

#include <fmt/format.h>

#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/ops_device.hpp"
#include "compiler/qmp/reply_reader.hpp"

namespace vmforge::qmp {
namespace {

CpuProps read_props(ReplyReader&& r) {
  CpuProps p;
  p.node_id = r.opt_int64("node-id");
  p.socket_id = r.opt_int64("socket-id");
  p.die_id = r.opt_int64("die-id");
  p.cluster_id = r.opt_int64("cluster-id");
  p.core_id = r.opt_int64("core-id");
  p.thread_id = r.opt_int64("thread-id");
  return p;
}

}  // namespace

std::string arguments(const CpuDeviceAdd& cpu) {
  Arguments a;
  a.set("driver", cpu.driver)
      .set("id", cpu.id)
      .set_if("node-id", cpu.props.node_id)
      .set_if("socket-id", cpu.props.socket_id)
      .set_if("die-id", cpu.props.die_id)
      .set_if("cluster-id", cpu.props.cluster_id)
      .set_if("core-id", cpu.props.core_id)
      .set_if("thread-id", cpu.props.thread_id);
  return a.take();
}

QmpCall device_del_cpu(std::string_view id) {
  std::string lapic = fmt::format("/machine/peripheral/{}/lapic", id);
  return {"device_del", Arguments().set("id", id).take(),
          Completion{Completion::Kind::event, "DEVICE_DELETED", std::move(lapic), kUnplugTimeoutMs}};
}

QmpCall query_hotpluggable_cpus() { return {"query-hotpluggable-cpus", {}, {}}; }

Result<std::vector<HotpluggableCpu>> parse_hotpluggable_cpus(const JsonValue& reply) {
  return read_array<HotpluggableCpu>("query-hotpluggable-cpus", reply, [](ReplyReader& r) {
    HotpluggableCpu c;
    c.type = r.string("type");
    c.vcpus_count = r.int64("vcpus-count");
    c.props = read_props(r.child("props"));
    c.qom_path = r.opt_string("qom-path");
    return c;
  });
}

QmpCall query_cpus_fast() { return {"query-cpus-fast", {}, {}}; }

Result<std::vector<CpuInfoFast>> parse_cpus_fast(const JsonValue& reply) {
  return read_array<CpuInfoFast>("query-cpus-fast", reply, [](ReplyReader& r) {
    CpuInfoFast c;
    c.cpu_index = r.int64("cpu-index");
    c.qom_path = r.string("qom-path");
    c.thread_id = r.int64("thread-id");
    c.target = r.string("target");
    c.props = read_props(r.child("props", false));
    return c;
  });
}

}  // namespace vmforge::qmp
