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

TEST_CASE("the vmforge binary loads neither libsystemd nor libisofs at exec", "[sd][dl]") {
  const char* binary = std::getenv("VMFORGE_BINARY");
  REQUIRE(binary != nullptr);
  launch::SpawnOptions options;
  options.argv = {binary, "version"};
  options.capture_stdout = true;
  // The dynamic loader lists what it maps for the program, then exits without running it.
  setenv("LD_TRACE_LOADED_OBJECTS", "1", 1);
  auto process = launch::spawn(options);
  unsetenv("LD_TRACE_LOADED_OBJECTS");
  REQUIRE(process);
  auto status = process->wait(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(status->success());
  std::string loaded = process->stdout_text();
  INFO(loaded);
  CHECK(loaded.find("libc.so.6") != std::string::npos);
  CHECK(loaded.find("libsystemd") == std::string::npos);
  CHECK(loaded.find("libisofs") == std::string::npos);
}
