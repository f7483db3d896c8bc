// Checking the host needs of a plan or a change.
#include "supervisor/core/host_check.hpp"

#include <unistd.h>

#include <string>

#include <fmt/format.h>

namespace vmforge::supervisor {
namespace {

bool usable(const HostRoots& roots, std::string_view node) {
  return ::access(fmt::format("{}/{}", roots.dev, node).c_str(), R_OK | W_OK) == 0;
}

Result<void> check(const HostNeed& need, const HostRoots& roots) {
  const std::string& id = need.resource.id;
  switch (need.kind) {
    case HostNeedKind::vhost_net:
      if (usable(roots, "vhost-net")) return {};
      return unexpected(Error(fmt::format("NIC '{}' has vhost = true but /dev/vhost-net is not usable (QEMU 7.2 "
                                          "aborts instead of failing); load the vhost_net module or set vhost = false",
                                          id)));
    case HostNeedKind::vhost_vsock:
      if (usable(roots, "vhost-vsock")) return {};
      return unexpected(Error(
          fmt::format("vsock '{}' needs /dev/vhost-vsock, which is not usable; load the vhost_vsock module", id)));
    case HostNeedKind::vfio_function:
      if (auto ok = check_vfio_function(need.address, roots); !ok) {
        return unexpected(
            Error(fmt::format("'{}': {}", need.resource.str(), ok.error().message), ok.error().errno_value));
      }
      return {};
  }
  return {};
}

}  // namespace

Result<void> check_host_needs(const std::vector<HostNeed>& needs, const HostRoots& roots) {
  for (const HostNeed& need : needs) VMFORGE_TRY_VOID(check(need, roots));
  return {};
}

}  // namespace vmforge::supervisor
