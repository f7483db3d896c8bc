// Memory backend/device builders, memory and balloon reply parsers.
#include "compiler/qmp/ops_memory.hpp"

#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/ops_device.hpp"
#include "compiler/qmp/reply_reader.hpp"

namespace vmforge::qmp {

std::string arguments(const MemoryBackendAdd& backend) {
  Arguments a;
  a.set("qom-type", backend.qom_type)
      .set("id", backend.id)
      .set("size", backend.size)
      .set_if("mem-path", backend.mem_path)
      .set_if("hugetlb", backend.hugetlb)
      .set_if("share", backend.share)
      .set_if("pmem", backend.pmem)
      .set_if("prealloc", backend.prealloc);
  return a.take();
}

QmpCall object_add_memory(const MemoryBackendAdd& backend) { return {"object-add", arguments(backend)}; }

QmpCall object_del(std::string_view id) { return {"object-del", Arguments().set("id", id).take(), {}}; }

std::string arguments(const MemoryDeviceAdd& device) {
  Arguments a;
  a.set("driver", device.driver)
      .set("id", device.id)
      .set("memdev", device.memdev)
      .set_if("bus", device.bus)
      .set_if("addr", device.addr)
      .set_if("requested-size", device.requested_size)
      .set_if("block-size", device.block_size);
  return a.take();
}

QmpCall query_memory_devices() { return {"query-memory-devices", {}, {}}; }

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

QmpCall query_memory_size_summary() { return {"query-memory-size-summary", {}, {}}; }

Result<MemorySizeSummary> parse_memory_size_summary(const JsonValue& reply) {
  ReplyReader r("query-memory-size-summary", reply);
  MemorySizeSummary s;
  s.base_memory = r.uint64("base-memory");
  s.plugged_memory = r.opt_uint64("plugged-memory");
  return r.finish(s);
}

QmpCall balloon(std::uint64_t bytes) { return {"balloon", Arguments().set("value", bytes).take(), {}}; }

QmpCall query_balloon() { return {"query-balloon", {}, {}}; }

Result<BalloonInfo> parse_balloon(const JsonValue& reply) {
  ReplyReader r("query-balloon", reply);
  BalloonInfo b;
  b.actual = r.uint64("actual");
  return r.finish(b);
}

}  // namespace vmforge::qmp
