// Where vmforge records what it did to a disk beyond the manifest (its snapshot layers, its
// backups): beside the disk's file, so that the record travels with the image. A record in the
// state dir (under /run) was lost with a host reboot, after which the VM booted from the base
// image, and another host on the same storage (migration, failover) had none at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

/// Record `kind` ("chain", "backups") of `disk`: "FILE.vmforge-KIND.json" beside its file. A
/// host device (/dev/...) has no directory of its own: its record is "ID.KIND.json" in the state dir.
std::string disk_record_path(const StateDir& state, const Disk& disk, std::string_view kind);

/// The text of record `path`; nullopt when there is none. Each record is read from the file
/// system once per process, then kept: while the supervisor runs it is its records' only
/// writer (it holds the VM's lock, and write_disk_record() keeps the copy current), so
/// `status` and `plan` open no file per request. A record changed by hand meanwhile is read
/// at the supervisor's next start, unless forgotten (a damaged one, which the user is told to fix).
Result<std::optional<std::string>> read_disk_record(const std::string& path);
/// Replaces record `path` with `json` atomically and durably (mode 0600); an empty `json`
/// removes it.
Result<void> write_disk_record(const std::string& path, std::string_view json);
/// Drops the kept copy of record `path`: the next read_disk_record() reads the file again.
void forget_disk_record(const std::string& path);

}  // namespace vmforge::supervisor
