// Block node, disk device, SCSI controller and media builders.
#include "compiler/qmp/ops_block.hpp"

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {
namespace {

void set_common(Arguments& a, const BlockdevCache& cache, bool read_only, bool discard) {
  if (cache.direct || cache.no_flush) {
    a.set_json("cache", Arguments().set("direct", cache.direct).set("no-flush", cache.no_flush).take());
  }
  if (read_only) a.set("read-only", true);
  if (discard) a.set("discard", "unmap");
}

QmpCall id_call(std::string command, std::string_view id) {
  return {std::move(command), Arguments().set("id", id).take()};
}

}  // namespace

std::string arguments(const BlockdevFile& node) {
  Arguments a;
  a.set("driver", node.driver).set("node-name", node.node_name).set("filename", node.filename).set_if("aio", node.aio);
  set_common(a, node.cache, node.read_only, node.discard);
  return a.take();
}

std::string arguments(const BlockdevFormat& node) {
  Arguments a;
  a.set("driver", node.driver).set("node-name", node.node_name).set("file", node.file);
  if (node.backing && *node.backing) a.set("backing", **node.backing);
  if (node.backing && !*node.backing) a.writer().key("backing").null();
  set_common(a, node.cache, node.read_only, node.discard);
  return a.take();
}

std::string arguments(const BlockdevBacking& node) {
  Arguments a;
  a.set("driver", node.driver).set("node-name", node.node_name).set("file", node.file).set("read-only", true);
  if (node.backing_chain) a.writer().key("backing").null();
  return a.take();
}

QmpCall blockdev_add(const BlockdevFile& node) { return {"blockdev-add", arguments(node)}; }
QmpCall blockdev_add(const BlockdevFormat& node) { return {"blockdev-add", arguments(node)}; }
QmpCall blockdev_add(const BlockdevBacking& node) { return {"blockdev-add", arguments(node)}; }

QmpCall blockdev_del(std::string_view node_name) {
  return {"blockdev-del", Arguments().set("node-name", node_name).take()};
}

QmpCall snapshot_transaction(const std::vector<BlockdevSnapshot>& snapshots) {
  JsonWriter actions;
  actions.begin_array();
  for (const BlockdevSnapshot& s : snapshots) {
    actions.begin_object().field("type", "blockdev-snapshot").key("data").raw(
        Arguments().set("node", s.node).set("overlay", s.overlay).take());
    actions.end_object();
  }
  actions.end_array();
  return {"transaction", Arguments().set_json("actions", actions.take()).take()};
}

// A merge copies what the layer holds: minutes for big ones.
constexpr std::uint32_t kMergeTimeoutMs = 30 * 60 * 1000;

QmpCall block_commit(const BlockCommit& commit) {
  Arguments a;
  a.set("job-id", commit.job_id).set("device", commit.device).set("top-node", commit.top).set("base-node", commit.base);
  if (commit.speed != 0) a.set("speed", commit.speed);
  return {"block-commit", a.take(),
          Completion{Completion::Kind::event, commit.active ? "BLOCK_JOB_READY" : "BLOCK_JOB_COMPLETED", commit.job_id,
                     kMergeTimeoutMs}};
}

QmpCall job_complete(std::string_view job_id) {
  return {"job-complete", Arguments().set("id", job_id).take(),
          Completion{Completion::Kind::event, "BLOCK_JOB_COMPLETED", std::string(job_id), kMergeTimeoutMs}};
}

QmpCall block_resize(std::string_view node_name, std::uint64_t size) {
  return {"block_resize", Arguments().set("node-name", node_name).set("size", size).take()};
}

std::string arguments(const BlockDeviceAdd& disk) {
  Arguments a = device_arguments(disk.driver, disk.id, disk.placement);
  a.set_if("scsi-id", disk.scsi_id)
      .set_if("lun", disk.lun)
      .set("drive", disk.drive)
      .set_if("iothread", disk.iothread)
      .set_if("num-queues", disk.num_queues)
      .set_if("config-wce", disk.config_wce)
      .set_if("serial", disk.serial);
  if (disk.write_cache) a.set("write-cache", *disk.write_cache ? "on" : "off");
  if (disk.share_rw) a.set("share-rw", true);
  a.set_if("bootindex", disk.boot_index);
  return a.take();
}

std::string arguments(const ScsiControllerAdd& controller) {
  Arguments a = device_arguments(controller.driver, controller.id, controller.placement);
  a.set_if("iothread", controller.iothread).set_if("num_queues", controller.num_queues);
  return a.take();
}

QmpCall blockdev_open_tray(std::string_view id, bool force) {
  return {"blockdev-open-tray", Arguments().set("id", id).set("force", force).take()};
}

QmpCall blockdev_close_tray(std::string_view id) { return id_call("blockdev-close-tray", id); }
QmpCall blockdev_remove_medium(std::string_view id) { return id_call("blockdev-remove-medium", id); }

QmpCall blockdev_insert_medium(std::string_view id, std::string_view node_name) {
  return {"blockdev-insert-medium", Arguments().set("id", id).set("node-name", node_name).take()};
}

}  // namespace vmforge::qmp
