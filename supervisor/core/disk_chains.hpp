// The chain record: which snapshot layers sit above each disk's file (README, "Snapshots").
// Kept beside each disk's file (disk_records.hpp), read whenever the supervisor turns a manifest
// into a VM, so a restart, a new supervisor, a host reboot and another host on the same storage
// keep writing to the same layer and `plan` sees no change.
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

/// The records of `vm`'s disks as one; an empty one when there is none. The state dir's
/// disk-chains.json, where vmforge kept the whole record until issue #13 was done, is read too.
Result<DiskChains> load_disk_chains(const StateDir& state, const Vm& vm);
/// Replaces the record of each of `vm`'s disks that has a chain (its file the chain's base) with
/// its part of `chains` (its layers, their snapshots), atomically and durably; one without
/// layers goes. The state dir's disk-chains.json goes too: its content is in the disks' records.
Result<void> save_disk_chains(const StateDir& state, const Vm& vm, const DiskChains& chains);

/// Gives each disk of `vm` the layers recorded above its file; a disk whose file is not the
/// recorded base (the manifest names another image now) gets none.
void use_disk_chains(const DiskChains& chains, Vm& vm);
/// The layer each disk of `vm` writes to, for the control replies (plan, status, snapshot list):
/// [{"disk", "snapshot", "file"}]; a disk on its file alone is left out.
std::string active_layers_json(const DiskChains& chains, const Vm& vm);

/// load_disk_chains() then use_disk_chains(): `vm` as the supervisor runs it.
Result<void> with_disk_chains(const StateDir& state, Vm& vm);

}  // namespace vmforge::supervisor
