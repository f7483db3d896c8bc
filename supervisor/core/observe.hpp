// observe(): reads what a VM really has from QEMU (never from a memory of what was sent) into
// the resource set the diff compares with the manifest.
#pragma once

#include <functional>

#include "compiler/base/result.hpp"
#include "compiler/diff/resources.hpp"
#include "supervisor/core/observed_state.hpp"
#include "supervisor/qmp/client.hpp"

namespace vmforge::supervisor {

/// Sends the observation queries in two pipelined rounds (the second asks per device for what
/// the first found) and calls `done` once with the result, or with the first failure. Runs on
/// `client`'s event loop; `client` must outlive the call (if it is destroyed first, `done` is
/// never called).
void observe(qmp::Client& client, ObserveContext context, std::function<void(Result<ResourceSet>)> done);

}  // namespace vmforge::supervisor
