// QEMU 7.2's block-copy (the backup job and its copy-before-write filter) copies through a
// bounce buffer allocated per request (up to 1 MiB, up to 64 in flight) and freed when the
// request ends. Under glibc's default thresholds such a buffer is mmap'd, or comes from heap
// that was just trimmed, so every page of it faults in zeroed: a full backup of 1 GiB took
// ~260,000 page faults (one per 4 KiB copied) and twice the CPU of `qemu-img convert`, which
// reuses its buffers. Blocks under 4 MiB from the heap, and up to 64 MiB of freed heap kept,
// make the buffers reused: 2,000-40,000 faults, half the CPU (bench/README.md, Backup). The
// cost: QEMU may keep up to 64 MiB it freed.
#include "supervisor/core/qemu_environment.hpp"

#include <string_view>

namespace vmforge::supervisor {
namespace {

constexpr std::string_view kMallocTunables =
    "glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864";

}  // namespace

std::vector<std::string> qemu_environment(const char* inherited_tunables) {
  std::string tunables = "GLIBC_TUNABLES=";
  tunables += kMallocTunables;
  if (inherited_tunables != nullptr && *inherited_tunables != '\0') {
    tunables += ':';
    tunables += inherited_tunables;
  }
  return {tunables};
}

}  // namespace vmforge::supervisor
