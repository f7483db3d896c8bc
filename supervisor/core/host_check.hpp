// The one check of what devices need from the host (compiler/model/host_needs.hpp), run before QEMU
// starts (every need of the plan) and before an apply's steps (the needs of what it adds).
#pragma once

#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/host_needs.hpp"
#include "supervisor/core/vfio_host.hpp"

namespace vmforge::supervisor {

/// /dev/vhost-net and /dev/vhost-vsock open for reading and writing, a VFIO function bound to
/// vfio-pci with a viable IOMMU group (check_vfio_function()). The first unmet need is an
/// Error naming the resource and saying what to do.
Result<void> check_host_needs(const std::vector<HostNeed>& needs, const HostRoots& roots = {});

}  // namespace vmforge::supervisor
