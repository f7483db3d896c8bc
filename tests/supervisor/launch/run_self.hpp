// run_self: runs this test binary's hidden test cases under a wrapper that changes who runs them
// (setpriv as 'nobody', root without a capability), and returns Catch's report.
#pragma once

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"

namespace vmforge::test {

inline Result<std::string> run_self(std::vector<std::string> wrapper, const std::string& tag) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  REQUIRE(n > 0);
  self[n] = '\0';
  wrapper.insert(wrapper.end(), {self, tag});
  return launch::run(std::move(wrapper), std::chrono::seconds(60));
}

}  // namespace vmforge::test
