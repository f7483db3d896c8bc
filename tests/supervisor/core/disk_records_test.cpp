// Disk records: read from the file system once, then kept as the supervisor writes them.
#include "supervisor/core/disk_records.hpp"

#include <filesystem>

#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;

namespace {

std::optional<std::string> record(const std::string& path) {
  auto text = read_disk_record(path);
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a disk record is read from its file once, then kept as it is written", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const std::string path = tmp.file("data.img.vmforge-chain.json");
  CHECK(record(path) == std::nullopt);
  // Written behind the process's back: the kept answer stands, so no file was opened again.
  REQUIRE(write_file_atomic(path, "by hand"));
  CHECK(record(path) == std::nullopt);

  REQUIRE(write_disk_record(path, R"({"a":1})"));
  CHECK(read_file(path).value_or("") == R"({"a":1})");
  CHECK(record(path) == R"({"a":1})");
  REQUIRE(write_file_atomic(path, "by hand"));
  CHECK(record(path) == R"({"a":1})");

  // Forgotten, it is read again.
  forget_disk_record(path);
  CHECK(record(path) == "by hand");

  REQUIRE(write_disk_record(path, ""));
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(record(path) == std::nullopt);
}
