// The cloud-init seed of a VM with [cloud_init]: built when `run` starts QEMU, kept in the
// state dir, and handed to QEMU as the inherited fd the argv names (cloud_init_seed_fd()).
#pragma once

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

/// Reads the manifest's user-data, meta-data and network-config files, writes the seed image
/// to <state dir>/seed.iso (atomically, mode 0600: user-data may hold secrets) and returns it
/// opened read-only. `vm.cloud_init` must be set.
Result<UniqueFd> build_seed(const Vm& vm, const StateDir& state);

}  // namespace vmforge::supervisor
