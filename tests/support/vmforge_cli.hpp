// Running the built vmforge program ($VMFORGE_BINARY, set by meson) from a test.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace vmforge::test {

/// What a run of vmforge printed and how it ended.
struct CliResult {
  int status = -1;  // the exit status; -1 when a signal ended it
  std::string out;
  std::string err;
};

/// $VMFORGE_BINARY; fails the test case when it is not set.
std::string vmforge_binary();

/// Runs `vmforge ARGS...` with stdout and stderr captured; fails the test case when it cannot
/// start or does not end within `timeout`.
CliResult run_vmforge(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60));

}  // namespace vmforge::test
