// A directory of manifests as the host's VMs (`plan DIR`): NAME.toml for each VM NAME, the
// layout of /etc/vmforge, where vmforge@NAME.service reads NAME.toml.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/model/model.hpp"

namespace vmforge::cli {

/// Every `*.toml` in `dir`, each loaded and validated as `check` does, sorted by name. nullopt
/// when any fails (all are checked, every problem printed to stderr with file:line:col) or when
/// a file's name is not its VM's name plus ".toml".
std::optional<std::vector<Vm>> load_host_manifests(const std::string& dir);

/// Whether `path` is a directory (`plan DIR` rather than `plan FILE`).
bool is_directory(const std::string& path);

}  // namespace vmforge::cli
