// Lowering of memory devices: the backend objects shared with main RAM, pc-dimms (with
// plug/unplug steps) and nvdimms.
#include "compiler/lower/families.hpp"
#include "compiler/qmp/ops_memory.hpp"

namespace vmforge {
namespace {

std::string resource_of(const Dimm& d) { return resource_name(ResourceKind::dimm, d.id); }

qmp::MemoryDeviceAdd dimm_device(const Dimm& d) { return {"pc-dimm", d.id.str(), d.id.derived("mem"), "", "", {}, {}}; }

}  // namespace

qmp::MemoryBackendAdd memory_backend(std::string id, ByteSize size, const MemoryBackend& backend) {
  qmp::MemoryBackendAdd b;
  switch (backend.kind) {
    case MemoryBackendKind::ram: b.qom_type = "memory-backend-ram"; break;
    case MemoryBackendKind::file: b.qom_type = "memory-backend-file"; break;
    case MemoryBackendKind::memfd: b.qom_type = "memory-backend-memfd"; break;
  }
  b.id = std::move(id);
  b.size = size.bytes();
  if (backend.kind == MemoryBackendKind::file) b.mem_path = backend.path.value_or("");
  // memfd: hugetlbfs pages directly; file: hugepages come from where `path` is mounted.
  if (backend.kind == MemoryBackendKind::memfd && backend.hugepages) b.hugetlb = true;
  if (backend.shared) b.share = true;
  if (backend.prealloc) b.prealloc = true;
  return b;
}

void lower_memory(LowerContext& ctx) {
  for (const auto& d : ctx.vm().dimms) {
    if (d.hotplug) continue;
    ctx.arg("-object", qmp::arguments(memory_backend(d.id.derived("mem"), d.size, d.backend)));
    ctx.arg("-device", qmp::arguments(dimm_device(d)));
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
      {resource, qmp::object_add_memory(memory_backend(d.id.derived("mem"), d.size, d.backend)),
       qmp::object_del(d.id.derived("mem"))},
      device_add_step(resource, d.id.str(), qmp::device_add(dimm_device(d))),
  };
}

std::vector<PlanStep> unplug(const Dimm& d) {
  const std::string resource = resource_of(d);
  return {
      device_del_step(resource, d.id.str()),
      {resource, qmp::object_del(d.id.derived("mem")), std::nullopt},
  };
}

}  // namespace vmforge
