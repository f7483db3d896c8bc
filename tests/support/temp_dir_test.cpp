// TempDir: short path under /tmp, private, removed with its contents, movable.
#include "tests/support/temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/result_printer.hpp"

using vmforge::test::temp_dir;
using vmforge::test::TempDir;

TEST_CASE("TempDir is a private directory under /tmp with a short path", "[support]") {
  auto dir = temp_dir();
  CHECK(dir.path().rfind("/tmp/vmf-", 0) == 0);
  CHECK(dir.path().size() < 20);
  struct stat st {};
  REQUIRE(stat(dir.path().c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(dir.file("qmp.sock") == dir.path() + "/qmp.sock");
}

TEST_CASE("TempDir removes itself and what it holds", "[support]") {
  std::string path;
  {
    auto dir = temp_dir();
    path = dir.path();
    REQUIRE(mkdir(dir.file("sub").c_str(), 0700) == 0);
    std::ofstream(dir.file("sub/f")) << "x";
    TempDir moved = std::move(dir);
    CHECK(moved.path() == path);
    CHECK(access(path.c_str(), F_OK) == 0);
  }
  CHECK(access(path.c_str(), F_OK) != 0);
}
