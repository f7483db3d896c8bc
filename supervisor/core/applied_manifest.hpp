// The last applied manifest in the state dir: what the running VM was made from. Written
// atomically once start-up (or an apply) succeeded; read back by a restarted supervisor.
#pragma once

#include <optional>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {

/// Writes `vm.source_text` to manifest.toml and `vm.source_path` (the base of its relative
/// paths) to manifest.path, each atomically, the path first.
Result<void> save_applied_manifest(const StateDir& state, const Vm& vm);

/// The manifest saved by save_applied_manifest(), validated again; nullopt when there is none
/// or it no longer validates.
std::optional<Vm> load_applied_manifest(const StateDir& state);

}  // namespace vmforge::supervisor
