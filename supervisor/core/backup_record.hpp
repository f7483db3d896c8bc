// The record of a VM's backups: which image files each backup made, so that an incremental
// backup knows the image it builds on and a restore knows the chain. Each disk's part is kept
// beside its file (disk_records.hpp), with the dirty bitmap in the image that it goes with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

struct BackedUpDisk {
  std::string disk;  // the [[disk]] id
  std::string file;  // the qcow2 image made; an incremental one's backing is the disk's previous file
  std::uint64_t bytes = 0;  // the image file's size on the host
  bool operator==(const BackedUpDisk&) const = default;
};

struct BackupEntry {
  std::string id;  // "20261207T152300Z"
  bool incremental = false;
  std::vector<BackedUpDisk> disks;
  bool operator==(const BackupEntry&) const = default;
};

/// The records of `vm`'s written disks as one, oldest backup first; none yet is an empty list. A
/// damaged file is an error. The state dir's backups.json, where vmforge kept the whole record
/// until issue #13 was done, is read too.
Result<std::vector<BackupEntry>> load_backup_record(const StateDir& state, const Vm& vm);
/// Replaces the record of each of `vm`'s written disks with its part of `entries`, atomically
/// and durably (none without backups); the state dir's backups.json goes.
Result<void> save_backup_record(const StateDir& state, const Vm& vm, const std::vector<BackupEntry>& entries);
/// The newest file backed up of `disk`, or "" when there is none.
std::string last_backup_file(const std::vector<BackupEntry>& entries, const std::string& disk);

/// Retention ([backup] keep): removes from `entries` the backup sets (a full backup and the
/// incremental ones after it) older than the newest `keep`, except a set holding the image an
/// incremental backup that stays is built on (its backing). Returns the removed backups.
std::vector<BackupEntry> expire_backups(std::vector<BackupEntry>& entries, std::uint32_t keep);

/// The record's JSON (an object with "backups": [...]), and back.
std::string backup_record_json(const std::vector<BackupEntry>& entries);
Result<std::vector<BackupEntry>> parse_backup_record(std::string_view json);

}  // namespace vmforge::supervisor
