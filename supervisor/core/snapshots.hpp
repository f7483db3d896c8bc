// `vmforge snapshot`'s requests on the control socket (README, "Snapshots"): "snapshot" takes
// an external snapshot of the running VM's disks, "snapshot-revert" restarts QEMU onto one,
// "snapshot-delete" merges one away live,
// "snapshot-list" reads the chain record.
#pragma once

#include "supervisor/core/supervisor.hpp"

namespace vmforge::supervisor {

/// Registers the requests on `supervisor`'s control socket (which start() made).
void install_snapshots(Supervisor& supervisor);

}  // namespace vmforge::supervisor
