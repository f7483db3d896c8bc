// What QEMU's environment has besides the supervisor's: glibc malloc settings for its block
// jobs' buffers.
#pragma once

#include <string>
#include <vector>

namespace vmforge::supervisor {

/// The "NAME=VALUE" entries QEMU gets on top of our environment: GLIBC_TUNABLES with a malloc
/// mmap threshold of 4 MiB and a trim threshold of 64 MiB, then `inherited` (our own
/// GLIBC_TUNABLES, may be null): glibc reads the list in order and the last setting of a tunable
/// counts, so a user's own settings win.
std::vector<std::string> qemu_environment(const char* inherited_tunables);

}  // namespace vmforge::supervisor
