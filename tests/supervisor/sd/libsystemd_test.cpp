// libsystemd and libisofs are opened on demand: every function binds, and the vmforge binary
// itself does not name them, so `vmforge compile` never loads them.
#include "supervisor/sd/libsystemd.hpp"

#include <stdlib.h>

#include <chrono>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"

using namespace vmforge;

TEST_CASE("libsystemd binds every function vmforge calls", "[sd][dl]") {
  auto lib = sd::load_libsystemd();
  REQUIRE(lib);
#define VMFORGE_CHECK_BOUND(name) CHECK((*lib)->name != nullptr);
  VMFORGE_LIBSYSTEMD_FUNCTIONS(VMFORGE_CHECK_BOUND)
#undef VMFORGE_CHECK_BOUND
  CHECK(&sd::libsystemd() == *lib);
}

namespace {

// What the dynamic loader maps for `binary`: with LD_TRACE_LOADED_OBJECTS it lists that, then
// exits without running the program. A static program has no loader, so it just runs.
std::string loaded_objects(const char* binary) {
  REQUIRE(binary != nullptr);
  launch::SpawnOptions options;
  options.argv = {binary, "version"};
  options.capture_stdout = true;
  setenv("LD_TRACE_LOADED_OBJECTS", "1", 1);
  auto process = launch::spawn(options);
  unsetenv("LD_TRACE_LOADED_OBJECTS");
  REQUIRE(process);
  auto status = process->wait(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(status->success());
  return process->stdout_text();
}

}  // namespace

TEST_CASE("vmforge loads neither libsystemd nor libisofs at exec", "[sd][dl]") {
  std::string loaded = loaded_objects(std::getenv("VMFORGE_BINARY"));
  INFO(loaded);
  CHECK(loaded.find("libc.so.6") != std::string::npos);
  CHECK(loaded.find("libsystemd") == std::string::npos);
  CHECK(loaded.find("libisofs") == std::string::npos);
}
