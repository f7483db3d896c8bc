// Saving and loading the last applied manifest.
#include "supervisor/core/applied_manifest.hpp"

#include "compiler/base/read_file.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "supervisor/core/disk_chains.hpp"

namespace vmforge::supervisor {

Result<void> save_applied_manifest(const StateDir& state, const Vm& vm) {
  VMFORGE_TRY_VOID(write_file_atomic(state.applied_manifest_path(), vm.source_path));
  return write_file_atomic(state.applied_manifest(), vm.source_text);
}

std::optional<Vm> load_applied_manifest(const StateDir& state) {
  auto text = read_file(state.applied_manifest());
  if (!text) return std::nullopt;
  auto path = read_file(state.applied_manifest_path());
  auto vm = validate_text(*text, path ? *path : state.applied_manifest());
  if (!vm || !with_disk_chains(state, *vm)) return std::nullopt;
  return std::move(*vm);
}

}  // namespace vmforge::supervisor
