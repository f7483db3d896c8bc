// Per-disk records: a JSON file beside the disk's image, replaced whole.
#include "supervisor/core/disk_records.hpp"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

std::string disk_record_path(const StateDir& state, const Disk& disk, std::string_view kind) {
  if (disk.file.starts_with("/dev/")) return fmt::format("{}/{}.{}.json", state.dir, disk.id.str(), kind);
  return fmt::format("{}.vmforge-{}.json", disk.file, kind);
}

Result<std::optional<std::string>> read_disk_record(const std::string& path) {
  auto text = read_file(path);
  if (text) return std::optional<std::string>(std::move(*text));
  if (text.error().errno_value == ENOENT) return std::optional<std::string>();
  return unexpected(std::move(text).error());
}

Result<void> write_disk_record(const std::string& path, std::string_view json) {
  if (!json.empty()) return write_file_atomic(path, json);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return unexpected(errno_error(fmt::format("Failed to remove '{}'", path)));
  return {};
}

}  // namespace vmforge::supervisor
