// create_image_if_missing with real qemu-img: raw (sparse) and qcow2 images of a size, an
// overlay taking its base's size, an existing file never touched, a failure leaving nothing.
#include "supervisor/core/image_create.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "supervisor/core/qemu_access.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;

namespace {

JsonValue info(const std::string& path) {
  auto out = launch::run({"qemu-img", "info", "--output=json", path}, std::chrono::seconds(30));
  REQUIRE(out);
  auto json = parse_json(*out);
  REQUIRE(json);
  return std::move(*json);
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Nothing but `expected` in the directory: no temporary image left behind.
void only_files(const test::TempDir& dir, std::set<std::string> expected) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) names.insert(entry.path().filename());
  CHECK(names == expected);
}

}  // namespace

TEST_CASE("a missing raw image is made sparse, 0600, of the size asked", "[supervisor][image]") {
  auto dir = test::temp_dir();
  const std::string path = dir.file("data.raw");
  REQUIRE(create_image_if_missing(path, ImageCreate{"raw", 1ull << 30}));
  const struct stat st = stat_of(path);
  CHECK(st.st_size == 1ll << 30);
  CHECK(st.st_blocks * 512 < (1 << 20));  // sparse
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(info(path).get_string("format") == "raw");
  only_files(dir, {"data.raw"});
}

TEST_CASE("a missing qcow2 image is made by qemu-img, 0600", "[supervisor][image]") {
  auto dir = test::temp_dir();
  const std::string path = dir.file("data.qcow2");
  REQUIRE(create_image_if_missing(path, ImageCreate{"qcow2", 8ull << 30}));
  JsonValue i = info(path);
  CHECK(i.get_string("format") == "qcow2");
  CHECK(i.get_uint64("virtual-size") == 8ull << 30);
  CHECK((stat_of(path).st_mode & 07777) == 0600);
  only_files(dir, {"data.qcow2"});
}

TEST_CASE("an overlay gets its base's size, or the size asked, and names its base", "[supervisor][image]") {
  auto dir = test::temp_dir();
  const std::string base = dir.file("base.qcow2");
  REQUIRE(test::create_disk_image(base, "qcow2", 64 << 20));
  const std::string overlay = dir.file("overlay.qcow2");
  REQUIRE(create_image_if_missing(overlay, ImageCreate{"qcow2", std::nullopt, base, "qcow2"}));
  JsonValue i = info(overlay);
  CHECK(i.get_uint64("virtual-size") == 64u << 20);
  CHECK(i.get_string("backing-filename") == base);
  CHECK(i.get_string("backing-filename-format") == "qcow2");

  const std::string bigger = dir.file("bigger.qcow2");
  REQUIRE(create_image_if_missing(bigger, ImageCreate{"qcow2", 128u << 20, base, "qcow2"}));
  CHECK(info(bigger).get_uint64("virtual-size") == 128u << 20);
}

TEST_CASE("an existing file is never recreated, truncated or resized", "[supervisor][image]") {
  auto dir = test::temp_dir();
  const std::string path = dir.file("data.raw");
  std::ofstream(path, std::ios::binary) << "precious data";
  REQUIRE(create_image_if_missing(path, ImageCreate{"raw", 1 << 20}));
  REQUIRE(create_image_if_missing(path, ImageCreate{"qcow2", 1 << 20}));
  CHECK(slurp(path) == "precious data");
  // Opening for QEMU goes through the same rule.
  auto fd = open_for_qemu(PassedFile{path, FileOpen::read_write, ImageCreate{"raw", 1 << 20}});
  REQUIRE(fd);
  CHECK(slurp(path) == "precious data");
  only_files(dir, {"data.raw"});
}

TEST_CASE("a failed creation says why and leaves nothing behind", "[supervisor][image]") {
  auto dir = test::temp_dir();
  const std::string overlay = dir.file("overlay.qcow2");
  auto made = create_image_if_missing(overlay, ImageCreate{"qcow2", std::nullopt, dir.file("no-base.raw"), "raw"});
  REQUIRE_FALSE(made);
  CHECK_THAT(made.error().message, Catch::StartsWith("Failed to create image '" + overlay + "' (qcow2): "));
  CHECK_THAT(made.error().message, Catch::Contains("no-base.raw"));
  only_files(dir, {});

  auto no_dir = create_image_if_missing(dir.file("missing/data.raw"), ImageCreate{"raw", 1 << 20});
  REQUIRE_FALSE(no_dir);
  CHECK_THAT(no_dir.error().message, Catch::Contains("cannot make a temporary file next to it"));
}
