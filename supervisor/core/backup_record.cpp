// backups.json: written whole (write_file_atomic), read back checked.
#include "supervisor/core/backup_record.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

std::string backup_record_path(const StateDir& state) { return state.dir + "/backups.json"; }

std::string backup_record_json(const std::vector<BackupEntry>& entries) {
  JsonWriter w;
  w.begin_object().key("backups").begin_array();
  for (const BackupEntry& e : entries) {
    w.begin_object().field("id", e.id).field("incremental", e.incremental).key("disks").begin_array();
    for (const BackedUpDisk& d : e.disks) {
      w.begin_object().field("disk", d.disk).field("file", d.file).field("bytes", d.bytes).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

Result<std::vector<BackupEntry>> parse_backup_record(std::string_view json) {
  VMFORGE_TRY(JsonValue root, parse_json(json));
  auto bad = [] { return unexpected(Error("The backup record is not as vmforge writes it.", EBADMSG)); };
  const JsonValue* list = root.find("backups");
  if (!list || !list->as_array()) return bad();
  std::vector<BackupEntry> entries;
  for (const JsonValue& e : *list->as_array()) {
    auto id = e.get_string("id");
    auto incremental = e.get_bool("incremental");
    const JsonValue* disks = e.find("disks");
    if (!id || !incremental || !disks || !disks->as_array()) return bad();
    BackupEntry entry{std::string(*id), *incremental, {}};
    for (const JsonValue& d : *disks->as_array()) {
      auto disk = d.get_string("disk");
      auto file = d.get_string("file");
      auto bytes = d.get_uint64("bytes");
      if (!disk || !file || !bytes) return bad();
      entry.disks.push_back({std::string(*disk), std::string(*file), *bytes});
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<BackupEntry>> load_backup_record(const StateDir& state) {
  const std::string path = backup_record_path(state);
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value == ENOENT) return std::vector<BackupEntry>{};
    return unexpected(text.error());
  }
  auto entries = parse_backup_record(*text);
  if (!entries) return unexpected(Error(fmt::format("Failed to read '{}': {}", path, entries.error().message), EBADMSG));
  return entries;
}

Result<void> save_backup_record(const StateDir& state, const std::vector<BackupEntry>& entries) {
  return write_file_atomic(backup_record_path(state), backup_record_json(entries));
}

std::string last_backup_file(const std::vector<BackupEntry>& entries, const std::string& disk) {
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
    for (const BackedUpDisk& d : e->disks) {
      if (d.disk == disk) return d.file;
    }
  }
  return {};
}

}  // namespace vmforge::supervisor
