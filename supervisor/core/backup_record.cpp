// The backup record: one JSON file per disk, written whole, read back checked.
#include "supervisor/core/backup_record.hpp"

#include <algorithm>
#include <iterator>
#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"
#include "supervisor/core/disk_records.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::string_view kRecordKind = "backups";

bool written(const Disk& d) { return d.media == DiskMedia::disk && !d.readonly; }

// Adds the backups and disks of record `path` that `into` does not have.
Result<void> merge_file(std::vector<BackupEntry>& into, const std::string& path) {
  VMFORGE_TRY(auto text, read_disk_record(path));
  if (!text) return {};
  auto part = parse_backup_record(*text);
  if (!part) {
    forget_disk_record(path);  // read it again once fixed
    return unexpected(Error(fmt::format("Failed to read '{}': {}", path, part.error().message), EBADMSG));
  }
  for (BackupEntry& entry : *part) {
    auto same = std::find_if(into.begin(), into.end(), [&](const BackupEntry& e) { return e.id == entry.id; });
    if (same == into.end()) {
      into.push_back(std::move(entry));
      continue;
    }
    for (BackedUpDisk& d : entry.disks) {
      auto named = [&](const BackedUpDisk& x) { return x.disk == d.disk; };
      if (std::none_of(same->disks.begin(), same->disks.end(), named)) same->disks.push_back(std::move(d));
    }
  }
  return {};
}

// The backups of `disk` in `entries`, each with that disk only.
std::vector<BackupEntry> part_of(const std::vector<BackupEntry>& entries, const std::string& disk) {
  std::vector<BackupEntry> part;
  for (const BackupEntry& e : entries) {
    for (const BackedUpDisk& d : e.disks) {
      if (d.disk == disk) part.push_back({e.id, e.incremental, {d}});
    }
  }
  return part;
}

// Ids are UTC stamps, "-N" added to one taken twice in a second: shorter first, then by text.
bool older(const BackupEntry& a, const BackupEntry& b) {
  const std::string_view sa = std::string_view(a.id).substr(0, a.id.find('-'));
  const std::string_view sb = std::string_view(b.id).substr(0, b.id.find('-'));
  if (sa != sb) return sa < sb;
  return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
}

std::string old_record_path(const StateDir& state) { return state.dir + "/backups.json"; }

}  // namespace

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

Result<std::vector<BackupEntry>> load_backup_record(const StateDir& state, const Vm& vm) {
  std::vector<BackupEntry> entries;
  for (const Disk& d : vm.disks) {
    if (written(d)) VMFORGE_TRY_VOID(merge_file(entries, disk_record_path(state, d, kRecordKind)));
  }
  VMFORGE_TRY_VOID(merge_file(entries, old_record_path(state)));
  std::stable_sort(entries.begin(), entries.end(), older);
  return entries;
}

Result<void> save_backup_record(const StateDir& state, const Vm& vm, const std::vector<BackupEntry>& entries) {
  for (const Disk& d : vm.disks) {
    if (!written(d)) continue;
    const std::vector<BackupEntry> part = part_of(entries, d.id.str());
    VMFORGE_TRY_VOID(write_disk_record(disk_record_path(state, d, kRecordKind),
                                       part.empty() ? std::string() : backup_record_json(part)));
  }
  return write_disk_record(old_record_path(state), "");
}

std::vector<BackupEntry> expire_backups(std::vector<BackupEntry>& entries, std::uint32_t keep) {
  std::vector<std::size_t> starts;  // where each set begins
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i == 0 || !entries[i].incremental) starts.push_back(i);
  }
  if (starts.size() <= keep) return {};
  auto set_of = [&](std::size_t i) { return *std::prev(std::upper_bound(starts.begin(), starts.end(), i)); };
  std::size_t cut = starts[starts.size() - keep];
  // An incremental image's backing is its disk's previous backup: keep that one's set too, and
  // look at the incremental backups this brings in (the loop's bound moves down with `cut`).
  for (std::size_t i = entries.size(); i-- > cut;) {
    if (!entries[i].incremental) continue;
    for (const BackedUpDisk& d : entries[i].disks) {
      for (std::size_t j = i; j-- > 0;) {
        auto same = [&](const BackedUpDisk& x) { return x.disk == d.disk; };
        if (std::none_of(entries[j].disks.begin(), entries[j].disks.end(), same)) continue;
        cut = std::min(cut, set_of(j));
        break;
      }
    }
  }
  std::vector<BackupEntry> expired(std::make_move_iterator(entries.begin()),
                                   std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(cut)));
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(cut));
  return expired;
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
