// create_disk_image: qemu-img makes the image; its errors reach the caller.
#include "tests/support/disk_image.hpp"

#include <chrono>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;

TEST_CASE("create_disk_image makes raw and qcow2 images of the given size", "[support]") {
  auto dir = test::temp_dir();
  for (const char* format : {"raw", "qcow2"}) {
    std::string path = dir.file(std::string("d.") + format);
    REQUIRE(test::create_disk_image(path, format, 64 << 20));
    auto info = launch::run({"qemu-img", "info", "--output=json", path}, std::chrono::seconds(10));
    REQUIRE(info);
    CHECK_THAT(*info, Catch::Contains("\"virtual-size\": 67108864"));
    CHECK_THAT(*info, Catch::Contains(std::string("\"format\": \"") + format + "\""));
  }
}

TEST_CASE("create_disk_image reports qemu-img's error", "[support]") {
  auto r = test::create_disk_image("/nonexistent-dir/d.img", "raw", 1 << 20);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("'qemu-img' exited with status 1: "));
  CHECK_THAT(r.error().message, Catch::Contains("/nonexistent-dir/d.img"));
}
