#include "compiler/base/shared_library.hpp"

#include <cstring>

#include <catch2/catch.hpp>

using vmforge::SharedLibrary;

TEST_CASE("a library opened on demand gives its functions by name", "[base][dl]") {
  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(libc);
  decltype(&std::strlen) length = nullptr;
  REQUIRE(libc->bind(length, "strlen"));
  CHECK(length("vmforge") == 7);
}

TEST_CASE("a missing library or function says which package to fix", "[base][dl]") {
  auto missing = SharedLibrary::open("libvmforge-absent.so.9", "vmforge-absent9");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("Failed to load libvmforge-absent.so.9: ") == 0);
  CHECK(missing.error().message.find("Is the Debian package 'vmforge-absent9' installed?") != std::string::npos);

  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(libc);
  int (*absent)() = nullptr;
  auto bound = libc->bind(absent, "vmforge_no_such_function");
  REQUIRE_FALSE(bound);
  CHECK(bound.error().message.find("libc.so.6 has no function 'vmforge_no_such_function'") == 0);
  CHECK(absent == nullptr);
}
