// QEMU's environment: glibc's malloc settings for its block jobs, a user's own tunables kept
// after them (the last setting of a tunable counts).
#include "supervisor/core/qemu_environment.hpp"

#include <catch2/catch.hpp>

using vmforge::supervisor::qemu_environment;

namespace {
const std::string kOurs = "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864";
}

TEST_CASE("QEMU gets malloc thresholds that keep its block jobs' buffers", "[qemu-environment]") {
  CHECK(qemu_environment(nullptr) == std::vector<std::string>{kOurs});
  CHECK(qemu_environment("") == std::vector<std::string>{kOurs});
}

TEST_CASE("a user's own GLIBC_TUNABLES come last, so they win", "[qemu-environment]") {
  CHECK(qemu_environment("glibc.malloc.mmap_threshold=131072:glibc.cpu.hwcaps=-AVX2") ==
        std::vector<std::string>{kOurs + ":glibc.malloc.mmap_threshold=131072:glibc.cpu.hwcaps=-AVX2"});
}
