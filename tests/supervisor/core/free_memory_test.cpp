// Tests for release_free_memory: the stack pages a deep call left go back to the kernel.
#include "supervisor/core/free_memory.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

using vmforge::supervisor::release_free_memory;

namespace {

// Private_Dirty of this process's [stack] mapping, in KiB.
unsigned long stack_dirty_kib() {
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool in_stack = false;
  while (std::getline(in, line)) {
    if (line.find(" [stack]") != std::string::npos) in_stack = true;
    else if (in_stack && line.rfind("Private_Dirty:", 0) == 0) return std::strtoul(line.c_str() + 14, nullptr, 10);
  }
  return 0;
}

// Writes `kib` KiB of stack below the caller, as a deep call chain does.
[[gnu::noinline]] void use_stack(unsigned kib) {
  volatile char frame[1024];
  for (volatile char& c : frame) c = 1;
  if (kib > 1) use_stack(kib - 1);
  frame[0] = frame[1];  // used after the call: no tail call
}

}  // namespace

TEST_CASE("release_free_memory gives back the stack below the caller", "[supervisor]") {
  use_stack(256);
  const unsigned long before = stack_dirty_kib();
  release_free_memory();
  const unsigned long after = stack_dirty_kib();
  INFO("stack Private_Dirty " << before << " KiB -> " << after << " KiB");
  CHECK(before >= 256);
  CHECK(after + 200 <= before);
  use_stack(256);  // the released pages are usable again
  CHECK(stack_dirty_kib() >= 256);
}
