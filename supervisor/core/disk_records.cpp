// Per-disk records: a JSON file beside the disk's image, replaced whole.
#include "supervisor/core/disk_records.hpp"

#include <unistd.h>

#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

std::string disk_record_path(const StateDir& state, const Disk& disk, std::string_view kind) {
  if (disk.file.starts_with("/dev/")) return fmt::format("{}/{}.{}.json", state.dir, disk.id.str(), kind);
  return fmt::format("{}.vmforge-{}.json", disk.file, kind);
}

namespace {

// Record path -> its text (nullopt: there is none), as this process last read or wrote it.
std::map<std::string, std::optional<std::string>, std::less<>>& kept_records() {
  static std::map<std::string, std::optional<std::string>, std::less<>> records;
  return records;
}

}  // namespace

Result<std::optional<std::string>> read_disk_record(const std::string& path) {
  auto& kept = kept_records();
  if (auto it = kept.find(path); it != kept.end()) return it->second;
  std::optional<std::string> record;
  if (auto text = read_file(path)) {
    record = std::move(*text);
  } else if (text.error().errno_value != ENOENT) {
    return unexpected(std::move(text).error());
  }
  kept.emplace(path, record);
  return record;
}

Result<void> write_disk_record(const std::string& path, std::string_view json) {
  // Whatever the outcome, the file is read again next time unless it is known.
  forget_disk_record(path);
  if (!json.empty()) {
    VMFORGE_TRY_VOID(write_file_atomic(path, json));
  } else if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return unexpected(errno_error(fmt::format("Failed to remove '{}'", path)));
  }
  kept_records().emplace(path, json.empty() ? std::nullopt : std::optional<std::string>(json));
  return {};
}

void forget_disk_record(const std::string& path) { kept_records().erase(path); }

}  // namespace vmforge::supervisor
