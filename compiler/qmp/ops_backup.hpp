// Typed QMP operations for backups: a dirty bitmap that records what the guest writes, and a
// blockdev-backup job started together with it in one transaction (QEMU 7.2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

/// block-dirty-bitmap-add on format node `node`: from now on every write marks the bitmap. A
/// persistent one is stored in the qcow2 image when QEMU closes it, so it survives a restart.
struct DirtyBitmapAdd {
  std::string node;
  std::string name;
  bool persistent = true;
};
std::string arguments(const DirtyBitmapAdd& bitmap);
/// block-dirty-bitmap-remove of bitmap `name` on `node` (from the image too, if persistent).
QmpCall block_dirty_bitmap_remove(std::string_view node, std::string_view name);

/// blockdev-backup of node `device` into node `target`. `sync`: "full" (everything) or
/// "incremental" (the clusters `bitmap` marks). With a bitmap, bitmap-mode "on-success": the
/// bitmap is cleared to what was written since the job started only if the job succeeds; a
/// failed or cancelled job leaves it marking everything since the last successful backup.
struct BlockdevBackup {
  std::string job_id;
  std::string device;
  std::string target;
  std::string sync = "full";
  std::string bitmap;  // empty: none
};
std::string arguments(const BlockdevBackup& backup);

/// One action of a transaction: its type ("block-dirty-bitmap-add", "blockdev-backup") and
/// its data (an argument object).
struct TransactionAction {
  std::string type;
  std::string data;
};
/// `transaction`: the actions happen together or not at all. The jobs its blockdev-backups
/// start run on: the call completes on BLOCK_JOB_COMPLETED of every job of `job_ids`, within
/// `timeout_ms` (awaited_event() fails it on an error of one or on BLOCK_JOB_CANCELLED).
QmpCall backup_transaction(const std::vector<TransactionAction>& actions, const std::vector<std::string>& job_ids,
                           std::uint32_t timeout_ms);

/// job-cancel of job `id` (its BLOCK_JOB_CANCELLED follows).
QmpCall job_cancel(std::string_view id);

}  // namespace vmforge::qmp
