// Lowering of memory devices: the backend objects shared with main RAM, pc-dimms (with
// plug/unplug steps) and nvdimms.
#include "compiler/lower/families.hpp"

namespace vmforge {
namespace {

std::string resource_of(const Dimm& d) { return resource_name(ResourceKind::dimm, d.id); }

std::string dimm_backend_json(const Dimm& d) {
  return json_object([&](JsonWriter& w) { write_memory_backend(w, d.id.derived("mem"), d.size, d.backend); });
}

std::string dimm_device_json(const Dimm& d) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", "pc-dimm").field("id", d.id.str()).field("memdev", d.id.derived("mem"));
  });
}

}  // namespace

void write_memory_backend(JsonWriter& w, std::string_view id, ByteSize size, const MemoryBackend& backend) {
  switch (backend.kind) {
    case MemoryBackendKind::ram: w.field("qom-type", "memory-backend-ram"); break;
    case MemoryBackendKind::file: w.field("qom-type", "memory-backend-file"); break;
    case MemoryBackendKind::memfd: w.field("qom-type", "memory-backend-memfd"); break;
  }
  w.field("id", id).field("size", size.bytes());
  if (backend.kind == MemoryBackendKind::file && backend.path) w.field("mem-path", *backend.path);
  // memfd: hugetlbfs pages directly; file: hugepages come from where `path` is mounted.
  if (backend.kind == MemoryBackendKind::memfd && backend.hugepages) w.field("hugetlb", true);
  if (backend.shared) w.field("share", true);
  if (backend.prealloc) w.field("prealloc", true);
}

void lower_memory(LowerContext& ctx) {
  for (const auto& d : ctx.vm().dimms) {
    if (d.hotplug) continue;
    ctx.arg("-object", dimm_backend_json(d));
    ctx.arg("-device", dimm_device_json(d));
  }
  for (const auto& n : ctx.vm().nvdimms) {
    ctx.arg("-object", json_object([&](JsonWriter& w) {
              w.field("qom-type", "memory-backend-file").field("id", n.id.derived("mem"));
              w.field("size", n.size.bytes()).field("mem-path", n.path).field("share", n.shared);
              if (n.pmem) w.field("pmem", true);
              if (n.readonly) w.field("readonly", true);
            }));
    ctx.arg("-device", json_object([&](JsonWriter& w) {
              w.field("driver", "nvdimm").field("id", n.id.str()).field("memdev", n.id.derived("mem"));
              if (n.readonly) w.field("unarmed", true);
            }));
  }
}

std::vector<PlanStep> plug(const Vm&, const PciLayout&, const Dimm& d) {
  const std::string resource = resource_of(d);
  return {
      reply_step(resource, "object-add", dimm_backend_json(d), reply_call("object-del", json_single("id", d.id.derived("mem")))),
      device_add_step(resource, d.id.str(), dimm_device_json(d)),
  };
}

std::vector<PlanStep> unplug(const Dimm& d) {
  const std::string resource = resource_of(d);
  return {
      device_del_step(resource, d.id.str()),
      reply_step(resource, "object-del", json_single("id", d.id.derived("mem"))),
  };
}

}  // namespace vmforge
