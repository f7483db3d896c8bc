// External snapshots of running disks (README, "Snapshots"): the steps that put a new qcow2
// layer above each chosen disk's active node, all at one instant.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge {

/// The layer to put above disk `disk`'s active node.
struct NewLayer {
  DeviceId disk;
  DiskLayer layer;
};

/// Per disk: the overlay file made if missing (qcow2, the active image's size) and passed as an
/// fd set, its file node, its qcow2 node (no backing yet); then one transaction of
/// blockdev-snapshot for all of them, named "snapshot:NAME" in the plan. Fails for a disk that
/// is not in `vm` or is not written (read-only, cdrom).
Result<std::vector<PlanStep>> snapshot_steps(const Vm& vm, std::string_view name, const std::vector<NewLayer>& layers);

/// Merges layer `index` of disk `disk` into the node below it (block-commit; an active layer's
/// job is then completed, switching the guest's writes to the node below), then deletes the
/// layer's nodes (its fd set stays until QEMU restarts: one passed on the command line cannot be
/// removed by name). blockdev-del fails while QEMU still uses the layer (the merge did
/// not happen), and nothing after it runs. Named "snapshot:NAME" in the plan. `speed` limits
/// the merge to that many bytes per second (0: none), sparing the guest's I/O.
Result<std::vector<PlanStep>> merge_steps(const Vm& vm, std::string_view name, const DeviceId& disk,
                                          std::size_t index, std::uint64_t speed = 0);

}  // namespace vmforge
