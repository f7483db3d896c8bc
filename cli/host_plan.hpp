// `vmforge plan DIR`: the host plan, what `apply DIR` would do to make this host's VMs those
// of a directory of manifests.
#pragma once

#include <optional>
#include <string>

namespace vmforge::cli {

struct HostPlanOptions {
  std::string dir;
  bool prune = false;  // stop running VMs that have no manifest in `dir`
  bool json = false;
  std::optional<std::string> runtime_dir;
};

/// Prints the host plan; the exit status as `plan` has it (0 no changes, 2 changes, 1 error).
int host_plan(const HostPlanOptions& options);

}  // namespace vmforge::cli
