// The chain record as a JSON file beside each disk's file.
#include "supervisor/core/disk_chains.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"
#include "supervisor/core/disk_records.hpp"

namespace vmforge::supervisor {
namespace {

Error bad_record(std::string_view what) {
  return Error(fmt::format("The snapshot chain record is damaged ({}); fix or remove it by hand, knowing that its "
                           "layers hold the VM's newest writes.",
                           what));
}

Result<std::string> string_at(const JsonValue& v, std::string_view key) {
  auto s = v.get_string(key);
  if (!s) return unexpected(bad_record(fmt::format("'{}' is missing or not a string", key)));
  return std::string(*s);
}

const JsonArray* array_at(const JsonValue& v, std::string_view key) {
  const JsonValue* member = v.find(key);
  return member ? member->as_array() : nullptr;
}

Result<DiskChain> chain_from(const JsonValue& v) {
  DiskChain chain;
  VMFORGE_TRY(chain.disk, string_at(v, "disk"));
  VMFORGE_TRY(chain.base, string_at(v, "base"));
  const JsonArray* layers = array_at(v, "layers");
  if (!layers) return unexpected(bad_record("a disk has no 'layers' array"));
  for (const JsonValue& l : *layers) {
    ChainLayer layer;
    VMFORGE_TRY(layer.snapshot, string_at(l, "snapshot"));
    VMFORGE_TRY(layer.file, string_at(l, "file"));
    VMFORGE_TRY(layer.node, string_at(l, "node"));
    chain.layers.push_back(std::move(layer));
  }
  return chain;
}

constexpr std::string_view kRecordKind = "chain";

// What disk `chain` keeps beside its file: its layers and their snapshots.
DiskChains part_of(const DiskChains& chains, const DiskChain& chain) {
  DiskChains part;
  part.next_node = chains.next_node;
  part.disks.push_back(chain);
  for (const SnapshotInfo& s : chains.snapshots) {
    auto named = [&](const ChainLayer& l) { return l.snapshot == s.name; };
    if (std::any_of(chain.layers.begin(), chain.layers.end(), named)) part.snapshots.push_back(s);
  }
  return part;
}

// Adds what `part` knows and `into` does not; node numbers stay above every record's.
void merge(DiskChains& into, DiskChains part) {
  into.next_node = std::max(into.next_node, part.next_node);
  for (DiskChain& chain : part.disks) {
    if (!into.find(chain.disk)) into.disks.push_back(std::move(chain));
  }
  for (SnapshotInfo& s : part.snapshots) {
    if (!into.snapshot(s.name)) into.snapshots.push_back(std::move(s));
  }
}

Result<void> merge_file(DiskChains& into, const std::string& path) {
  VMFORGE_TRY(auto text, read_disk_record(path));
  if (!text) return {};
  auto part = chains_from_json(*text);
  if (!part) {
    forget_disk_record(path);  // the user is told to fix it: read the fix
    return unexpected(Error(fmt::format("'{}': {}", path, part.error().message)));
  }
  merge(into, std::move(*part));
  return {};
}

const DiskChain* chain_of(const DiskChains& chains, const Disk& disk) {
  for (const DiskChain& chain : chains.disks) {
    if (chain.disk == disk.id.str() && chain.base == disk.file) return &chain;
  }
  return nullptr;
}

}  // namespace

DiskChain* DiskChains::find(std::string_view disk) {
  for (DiskChain& chain : disks) {
    if (chain.disk == disk) return &chain;
  }
  return nullptr;
}

const SnapshotInfo* DiskChains::snapshot(std::string_view name) const {
  for (const SnapshotInfo& s : snapshots) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string chains_to_json(const DiskChains& chains) {
  JsonWriter w;
  w.begin_object();
  w.field("next_node", chains.next_node);
  w.key("snapshots").begin_array();
  for (const SnapshotInfo& s : chains.snapshots) {
    w.begin_object().field("name", s.name).field("label", s.label).field("created", s.created).end_object();
  }
  w.end_array();
  w.key("disks").begin_array();
  for (const DiskChain& chain : chains.disks) {
    w.begin_object().field("disk", chain.disk).field("base", chain.base);
    w.key("layers").begin_array();
    for (const ChainLayer& l : chain.layers) {
      w.begin_object().field("snapshot", l.snapshot).field("file", l.file).field("node", l.node).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

Result<DiskChains> chains_from_json(std::string_view text) {
  auto tree = parse_json(text);
  if (!tree) return unexpected(bad_record(tree.error().message));
  DiskChains chains;
  auto next = tree->get_uint64("next_node");
  const JsonArray* snapshots = array_at(*tree, "snapshots");
  const JsonArray* disks = array_at(*tree, "disks");
  if (!next || !snapshots || !disks) return unexpected(bad_record("'next_node', 'snapshots' or 'disks' is missing"));
  chains.next_node = *next;
  for (const JsonValue& s : *snapshots) {
    SnapshotInfo info;
    VMFORGE_TRY(info.name, string_at(s, "name"));
    VMFORGE_TRY(info.label, string_at(s, "label"));
    auto created = s.get_int64("created");
    if (!created) return unexpected(bad_record("a snapshot has no 'created' time"));
    info.created = *created;
    chains.snapshots.push_back(std::move(info));
  }
  for (const JsonValue& d : *disks) {
    VMFORGE_TRY(auto chain, chain_from(d));
    chains.disks.push_back(std::move(chain));
  }
  return chains;
}

Result<DiskChains> load_disk_chains(const StateDir& state, const Vm& vm) {
  DiskChains chains;
  for (const Disk& disk : vm.disks) VMFORGE_TRY_VOID(merge_file(chains, disk_record_path(state, disk, kRecordKind)));
  VMFORGE_TRY_VOID(merge_file(chains, state.disk_chains()));
  std::stable_sort(chains.snapshots.begin(), chains.snapshots.end(),
                   [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.created < b.created; });
  return chains;
}

Result<void> save_disk_chains(const StateDir& state, const Vm& vm, const DiskChains& chains) {
  for (const Disk& disk : vm.disks) {
    const DiskChain* chain = chain_of(chains, disk);
    if (!chain) continue;
    const std::string json = chain->layers.empty() ? std::string() : chains_to_json(part_of(chains, *chain));
    VMFORGE_TRY_VOID(write_disk_record(disk_record_path(state, disk, kRecordKind), json));
  }
  return write_disk_record(state.disk_chains(), "");
}

void use_disk_chains(const DiskChains& chains, Vm& vm) {
  for (Disk& disk : vm.disks) {
    disk.layers.clear();
    if (const DiskChain* chain = chain_of(chains, disk)) {
      for (const ChainLayer& l : chain->layers) disk.layers.push_back({l.file, l.node});
    }
  }
}

std::string active_layers_json(const DiskChains& chains, const Vm& vm) {
  JsonWriter w;
  w.begin_array();
  for (const Disk& disk : vm.disks) {
    const DiskChain* chain = chain_of(chains, disk);
    if (!chain || chain->layers.empty()) continue;
    const ChainLayer& top = chain->layers.back();
    w.begin_object().field("disk", chain->disk).field("snapshot", top.snapshot).field("file", top.file).end_object();
  }
  w.end_array();
  return w.str();
}

Result<void> with_disk_chains(const StateDir& state, Vm& vm) {
  VMFORGE_TRY(auto chains, load_disk_chains(state, vm));
  use_disk_chains(chains, vm);
  return {};
}

}  // namespace vmforge::supervisor
