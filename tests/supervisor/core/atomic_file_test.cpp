// Tests for atomic file replacement and the pidfile on top of it.
#include "supervisor/core/atomic_file.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/pidfile.hpp"
#include "tests/support/temp_dir.hpp"

using vmforge::read_file;
using vmforge::supervisor::write_file_atomic;

namespace {

int count_entries(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("write_file_atomic replaces content and leaves no temporary files", "[atomic]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/manifest.toml";
  REQUIRE(write_file_atomic(path, "name = \"a\"\n"));
  REQUIRE(write_file_atomic(path, "name = \"b\"\n", 0640));
  CHECK(*read_file(path) == "name = \"b\"\n");
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(count_entries(tmp.path()) == 1);
  // Without the fsyncs the replacement is just as whole for readers.
  REQUIRE(write_file_atomic(path, "name = \"c\"\n", 0644, vmforge::supervisor::Durability::visible));
  CHECK(*read_file(path) == "name = \"c\"\n");
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(count_entries(tmp.path()) == 1);
}

TEST_CASE("a failed atomic write leaves the target alone and cleans up", "[atomic]") {
  auto tmp = vmforge::test::temp_dir();
  // Renaming a file over a non-empty directory fails after the temporary file was written.
  std::string target = tmp.path() + "/busy";
  REQUIRE(mkdir(target.c_str(), 0700) == 0);
  REQUIRE(write_file_atomic(target + "/inner", "old"));
  auto r = write_file_atomic(target, "new");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("Failed to rename") == 0);
  CHECK(*read_file(target + "/inner") == "old");
  CHECK(count_entries(tmp.path()) == 1);
  auto missing = write_file_atomic(tmp.path() + "/no/such/dir/file", "x");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errno_value == ENOENT);
}

TEST_CASE("pidfiles round-trip and reject garbage", "[pidfile]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/qemu.pid";
  CHECK(vmforge::supervisor::read_pidfile(path).error().errno_value == ENOENT);
  REQUIRE(vmforge::supervisor::write_pidfile(path, 4242));
  CHECK(*vmforge::supervisor::read_pidfile(path) == 4242);
  for (const char* bad : {"", "abc\n", "-5\n", "12 13\n", "0\n"}) {
    REQUIRE(write_file_atomic(path, bad));
    auto r = vmforge::supervisor::read_pidfile(path);
    REQUIRE_FALSE(r);
    CHECK(r.error().errno_value == EBADMSG);
  }
}
