// The record of a VM's backups (state dir, backups.json): which image files each backup made,
// so that an incremental backup knows the image it builds on and a restore knows the chain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
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

/// `state`/backups.json.
std::string backup_record_path(const StateDir& state);
/// The record, oldest backup first; none yet is an empty list. A damaged file is an error.
Result<std::vector<BackupEntry>> load_backup_record(const StateDir& state);
/// Replaces the record atomically and durably.
Result<void> save_backup_record(const StateDir& state, const std::vector<BackupEntry>& entries);
/// The newest file backed up of `disk`, or "" when there is none.
std::string last_backup_file(const std::vector<BackupEntry>& entries, const std::string& disk);

/// The record's JSON (an object with "backups": [...]), and back.
std::string backup_record_json(const std::vector<BackupEntry>& entries);
Result<std::vector<BackupEntry>> parse_backup_record(std::string_view json);

}  // namespace vmforge::supervisor
