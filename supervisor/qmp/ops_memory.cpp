// Memory backend/device builders, hotplug with roll-back, memory and balloon queries.
#include "supervisor/qmp/ops_memory.hpp"

#include <fmt/format.h>

#include "supervisor/qmp/reply_reader.hpp"

namespace vmforge::qmp {

Command object_add_memory(const MemoryBackendAdd& backend) {
  Arguments a;
  a.set("qom-type", backend.qom_type).set("id", backend.id).set("size", backend.size)
      .set_if("mem-path", backend.mem_path).set_if("share", backend.share).set_if("pmem", backend.pmem)
      .set_if("prealloc", backend.prealloc);
  return {"object-add", a.take(), {}};
}

Command object_del(std::string_view id) { return {"object-del", Arguments().set("id", id).take(), {}}; }

Command device_add_memory(const MemoryDeviceAdd& device) {
  Arguments a;
  a.set("driver", device.driver).set("id", device.id).set("memdev", device.memdev).set_if("bus", device.bus)
      .set_if("addr", device.addr).set_if("requested-size", device.requested_size)
      .set_if("block-size", device.block_size);
  return {"device_add", a.take(), {}};
}

Result<void> hotplug_memory(BlockingClient& client, const MemoryBackendAdd& backend,
                            const MemoryDeviceAdd& device, Timeout timeout) {
  VMFORGE_TRY_VOID(run_void(client, object_add_memory(backend), timeout));
  auto added = run_void(client, device_add_memory(device), timeout);
  if (added) return {};
  if (auto undone = run_void(client, object_del(backend.id), timeout); !undone) {
    return unexpected(Error(fmt::format("{}; removing memory backend '{}' again failed too: {}",
                                        added.error().message, backend.id, undone.error().message),
                            added.error().errno_value));
  }
  return added;
}

Command query_memory_devices() { return {"query-memory-devices", {}, {}}; }

Result<std::vector<MemoryDeviceInfo>> parse_memory_devices(const JsonValue& reply) {
  return read_array<MemoryDeviceInfo>("query-memory-devices", reply, [](ReplyReader& r) {
    MemoryDeviceInfo m;
    m.type = r.string("type");
    ReplyReader d = r.child("data");
    m.id = d.opt_string("id").value_or("");
    m.memdev = d.string("memdev");
    // virtio-mem calls its address 'memaddr'.
    m.addr = m.type == "virtio-mem" ? d.uint64("memaddr") : d.uint64("addr");
    m.size = d.uint64("size");
    m.node = d.int64("node");
    m.slot = d.opt_int64("slot");
    m.hotplugged = d.opt_boolean("hotplugged");
    m.hotpluggable = d.opt_boolean("hotpluggable");
    m.requested_size = d.opt_uint64("requested-size");
    m.max_size = d.opt_uint64("max-size");
    m.block_size = d.opt_uint64("block-size");
    return m;
  });
}

Result<std::vector<MemoryDeviceInfo>> query_memory_devices(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_memory_devices(), timeout, &parse_memory_devices);
}

Command query_memory_size_summary() { return {"query-memory-size-summary", {}, {}}; }

Result<MemorySizeSummary> parse_memory_size_summary(const JsonValue& reply) {
  ReplyReader r("query-memory-size-summary", reply);
  MemorySizeSummary s;
  s.base_memory = r.uint64("base-memory");
  s.plugged_memory = r.opt_uint64("plugged-memory");
  return r.finish(s);
}

Command balloon(std::uint64_t bytes) { return {"balloon", Arguments().set("value", bytes).take(), {}}; }

Command query_balloon() { return {"query-balloon", {}, {}}; }

Result<BalloonInfo> parse_balloon(const JsonValue& reply) {
  ReplyReader r("query-balloon", reply);
  BalloonInfo b;
  b.actual = r.uint64("actual");
  return r.finish(b);
}

Result<BalloonInfo> query_balloon(BlockingClient& client, Timeout timeout) {
  return run_typed(client, query_balloon(), timeout, &parse_balloon);
}

}  // namespace vmforge::qmp
