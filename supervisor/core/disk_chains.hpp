// The chain record: which snapshot layers sit above each disk's file (README, "Snapshots").
// Kept in the state dir, read whenever the supervisor turns a manifest into a VM, so a restart
// and a new supervisor keep writing to the same layer and `plan` sees no change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

/// One overlay: made by snapshot `snapshot`, it holds what the disk wrote after it.
struct ChainLayer {
  std::string snapshot;
  std::string file;  // absolute, qcow2
  std::string node;  // its format node in QEMU
  bool operator==(const ChainLayer&) const = default;
};

/// The layers above disk `disk`'s file `base`, bottom first; the last one is written.
struct DiskChain {
  std::string disk;
  std::string base;
  std::vector<ChainLayer> layers;
  bool operator==(const DiskChain&) const = default;
};

/// A snapshot as `snapshot list` shows it.
struct SnapshotInfo {
  std::string name;
  std::string label;
  std::int64_t created = 0;  // seconds since the epoch
  bool operator==(const SnapshotInfo&) const = default;
};

struct DiskChains {
  std::vector<DiskChain> disks;
  std::vector<SnapshotInfo> snapshots;  // oldest first
  std::uint64_t next_node = 1;          // layer nodes are never named twice in one record
  bool operator==(const DiskChains&) const = default;

  DiskChain* find(std::string_view disk);
  const SnapshotInfo* snapshot(std::string_view name) const;
};

/// The record as JSON, and back; a record that does not parse is an error, not an empty one
/// (its layers hold the VM's newest writes).
std::string chains_to_json(const DiskChains& chains);
Result<DiskChains> chains_from_json(std::string_view text);

/// The record in `state`; an empty one when there is none.
Result<DiskChains> load_disk_chains(const StateDir& state);
/// Replaces the record atomically and durably.
Result<void> save_disk_chains(const StateDir& state, const DiskChains& chains);

/// Gives each disk of `vm` the layers recorded above its file; a disk whose file is not the
/// recorded base (the manifest names another image now) gets none.
void use_disk_chains(const DiskChains& chains, Vm& vm);
/// load_disk_chains() then use_disk_chains(): `vm` as the supervisor runs it.
Result<void> with_disk_chains(const StateDir& state, Vm& vm);

}  // namespace vmforge::supervisor
