// Backup builders: dirty bitmaps, blockdev-backup, the transaction joining them, job-cancel.
#include "compiler/qmp/ops_backup.hpp"

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {

std::string arguments(const DirtyBitmapAdd& bitmap) {
  return Arguments().set("node", bitmap.node).set("name", bitmap.name).set("persistent", bitmap.persistent).take();
}

QmpCall block_dirty_bitmap_remove(std::string_view node, std::string_view name) {
  return {"block-dirty-bitmap-remove", Arguments().set("node", node).set("name", name).take()};
}

std::string arguments(const BlockdevBackup& backup) {
  Arguments a;
  a.set("job-id", backup.job_id).set("device", backup.device).set("target", backup.target).set("sync", backup.sync);
  if (!backup.bitmap.empty()) a.set("bitmap", backup.bitmap).set("bitmap-mode", "on-success");
  return a.take();
}

QmpCall backup_transaction(const std::vector<TransactionAction>& actions, const std::vector<std::string>& job_ids,
                           std::uint32_t timeout_ms) {
  JsonWriter list;
  list.begin_array();
  for (const TransactionAction& action : actions) {
    list.begin_object().field("type", action.type).key("data").raw(action.data).end_object();
  }
  list.end_array();
  QmpCall call{"transaction", Arguments().set_json("actions", list.take()).take()};
  call.completion = {Completion::Kind::event, "BLOCK_JOB_COMPLETED", job_ids.front(), timeout_ms,
                     std::vector<std::string>(job_ids.begin() + 1, job_ids.end())};
  return call;
}

QmpCall job_cancel(std::string_view id) { return {"job-cancel", Arguments().set("id", id).take()}; }

}  // namespace vmforge::qmp
