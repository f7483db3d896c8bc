// The main() of live tests that need host support: without it the test is skipped, not passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/integration/host_support.hpp"

namespace {

constexpr int kSkipped = 77;  // the exit status meson counts as SKIP

}  // namespace

int main(int argc, char** argv) {
  if (auto missing = vmforge::test::missing_host_support()) {
    std::printf("SKIP: %s\n", missing->c_str());
    return kSkipped;
  }
  return Catch::Session().run(argc, argv);
}
