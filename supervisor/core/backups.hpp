// The `backup` control request (`vmforge backup NAME --to DIR [--incremental]`): every writable
// disk copied by QEMU (blockdev-backup) into a qcow2 image the supervisor creates and passes as
// an fd. A full backup also gives each disk a persistent dirty bitmap; an incremental one copies
// only what the bitmap marks, into an overlay whose backing is the disk's previous backup.
// The bitmap is reset only when a backup succeeds (bitmap-mode on-success), so a failed or
// cancelled backup loses nothing: the next incremental one copies its changes too.
// `backup-cancel` cancels the running backup; its images are removed, earlier ones kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/plan/plan.hpp"

namespace vmforge::supervisor {

class Supervisor;

/// The dirty bitmap vmforge keeps on each backed-up disk's format node.
inline constexpr std::string_view kBackupBitmap = "vmforge-backup";

/// One disk's part of a backup.
struct DiskBackup {
  std::string disk;  // the [[disk]] id
  std::string node;  // its format node, which the bitmap is on
  std::uint64_t size = 0;  // its virtual size: the target's
  std::string target;      // the image made (must not exist)
  std::string parent;      // incremental: the disk's previous backup, the target's backing; "" for full
  bool add_bitmap = false;  // the node has no bitmap yet (a full backup adds it)
};

/// Every backup job's id starts so.
inline constexpr std::string_view kBackupJobPrefix = "vmforge-backup-";
/// The job of `disk`'s backup.
std::string backup_job_id(std::string_view disk);

/// Per disk (resource "backup", in order): add-fd of the target (created qcow2 of the disk's
/// size, over `parent`), blockdev-add of a file node and a qcow2 node on it (no backing: the
/// job writes what it copies and nothing reads through), each undone by its removal; then one
/// transaction for all disks of each one's bitmap addition (when missing) and blockdev-backup,
/// so that every disk is cut at the same instant, complete when every job is. `tag` keeps node
/// names apart from those of any other backup.
std::vector<PlanStep> backup_steps(std::string_view tag, const std::vector<DiskBackup>& disks,
                                   std::uint32_t job_timeout_ms);
/// Detaches the targets once the steps succeeded: the steps' undos, newest first.
std::vector<PlanStep> release_steps(const std::vector<PlanStep>& steps);

/// Registers the `backup` and `backup-cancel` control requests.
void add_backup_handler(Supervisor& self);

}  // namespace vmforge::supervisor
