// `vmforge apply DIR`: makes this host's VMs those of a directory of manifests, through
// systemd: new VMs started as vmforge@NAME.service, running ones applied live through their
// control sockets, and with --prune running VMs without a manifest stopped.
#pragma once

#include <string>

namespace vmforge::cli {

struct HostApplyOptions {
  std::string dir;
  bool prune = false;          // stop running VMs that have no manifest in `dir`
  bool allow_restart = false;  // as `apply FILE --allow-restart`, for each running VM
  bool json = false;
};

/// Applies and reports each outcome as it happens, then a summary; 0 when every VM got where
/// DIR says, 1 when DIR has errors (nothing is done), there is no systemd, or a VM failed.
int host_apply(const HostApplyOptions& options);

}  // namespace vmforge::cli
