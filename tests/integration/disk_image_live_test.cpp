// Disks as declared images (issue #13) on the running test guest: a disk with `size` is created
// before QEMU starts and the guest sees that size; a bigger size is applied live and seen by
// the guest, a smaller one refused with nothing changed; a disk added live gets its image; a
// qcow2 disk over a backing image is created as an overlay whose guest reads the base's data and
// whose writes never reach the base. Data is proved with the guest's command port (GuestIo).
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/integration/live_vm.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::LiveVm;

namespace {

// qemu-img's view of `path`; fails the test case when qemu-img cannot read it.
JsonValue image_info(const std::string& path, bool chain = false) {
  auto info = test::image_info(path, chain);
  REQUIRE(info);
  return std::move(*info);
}

// `vmforge compile` (which takes no runtime dir): the plan JSON.
std::string compile(const std::string& manifest) {
  test::CliResult compiled = test::run_vmforge({"compile", manifest}, 30s);
  REQUIRE(compiled.status == 0);
  return compiled.out;
}

std::uint64_t virtual_size(const std::string& path) { return image_info(path).get_uint64("virtual-size").value_or(0); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string disk(std::string_view id, const std::string& file, std::string_view extra) {
  return fmt::format("[[disk]]\nid = \"{}\"\nfile = \"{}\"\nserial = \"{}\"\n{}", id, file, id, extra);
}

void wait_size(LiveVm& vm, std::string_view dev, std::uint64_t bytes) {
  vm.wait_report(fmt::format("block.{}", dev),
                 [&](std::string_view v) { return test::report_field(v, "size") == std::to_string(bytes); });
}

}  // namespace

TEST_CASE("a disk with size is created, grown live and never shrunk", "[qemu][disk]") {
  LiveVm vm;
  const std::string image = vm.dir().file("data.qcow2");
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  const std::string cmd = test::guest_cmd_port_toml(*socket, "vser0");
  auto sized = [&](std::string_view name, std::string_view size) {
    return vm.manifest(name, cmd + disk("data", image, fmt::format("format = \"qcow2\"\nsize = \"{}\"\n", size)));
  };
  const std::string small = sized("small", "16M");

  CHECK(compile(small).find(fmt::format(R"("step":"create image '{}' qcow2 16M if missing")", image)) !=
        std::string::npos);
  REQUIRE_FALSE(std::ifstream(image).good());  // compile creates nothing

  vm.boot(small);
  wait_size(vm, "vda", 16 << 20);
  CHECK(virtual_size(image) == 16u << 20);
  CHECK(mode_of(image) == 0600);
  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(*socket, vm.report());
  REQUIRE(io);
  REQUIRE(io->write("data", 0, "before-growth", 4, test::kGuestReportTimeout));

  const std::string big = sized("big", "32M");
  CliResult plan = vm.cli({"plan", big});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  CHECK(plan.out.find("  ~ disk:data\n        size: 16M -> 32M\n        block_resize "
                      "{\"node-name\":\"data.fmt\",\"size\":33554432}\n") != std::string::npos);
  vm.apply(big);
  wait_size(vm, "vda", 32 << 20);
  CHECK(virtual_size(image) == 32u << 20);
  CHECK(vm.cli({"plan", big}).status == 0);  // observed back from QEMU
  auto kept = io->read("data", 0, 4, test::kGuestReportTimeout);
  REQUIRE(kept);
  CHECK(kept->pattern == "before-growth");
  // The guest uses the new end of the disk.
  REQUIRE(io->write("data", (32 << 20) - 4096, "at-the-end", 1, test::kGuestReportTimeout));

  const std::string shrunk = sized("shrunk", "8M");
  for (const char* command : {"plan", "apply"}) {
    CliResult refused = vm.cli({command, shrunk});
    INFO(command << ": " << refused.out << refused.err);
    CHECK(refused.status == 1);
    CHECK((refused.out + refused.err)
              .find("disk 'data': 'size' 8M is smaller than its image, 32M: vmforge never shrinks an image") !=
          std::string::npos);
  }
  CHECK(virtual_size(image) == 32u << 20);
  CHECK(vm.cli({"plan", big}).status == 0);
  auto end = io->read("data", (32 << 20) - 4096, 1, test::kGuestReportTimeout);
  REQUIRE(end);
  CHECK(end->pattern == "at-the-end");
  CHECK(vm.report().values()["block.vda"].find("size=33554432") != std::string::npos);

  // A disk added live gets its image too.
  const std::string hot_image = vm.dir().file("hot.raw");
  const std::string with_hot = vm.manifest("hot", cmd + disk("data", image, "format = \"qcow2\"\nsize = \"32M\"\n") +
                                                      disk("hot", hot_image, "size = \"4M\"\nhotplug = true\n"));
  CliResult hot_plan = vm.cli({"plan", with_hot});
  INFO(hot_plan.out << hot_plan.err);
  CHECK(hot_plan.out.find(fmt::format("        create image '{}' raw 4M if missing\n        add-fd", hot_image)) !=
        std::string::npos);
  vm.apply(with_hot);
  wait_size(vm, "vdb", 4 << 20);
  CHECK(mode_of(hot_image) == 0600);
  CHECK(virtual_size(hot_image) == 4u << 20);
  auto hot_io = io->write("hot", 4096, "hot-data", 2, test::kGuestReportTimeout);
  REQUIRE(hot_io);
  CHECK(hot_io->dev == "vdb");
}

TEST_CASE("a qcow2 disk over a backing image is created as an overlay; the base never changes", "[qemu][disk]") {
  LiveVm vm;
  const std::string base = vm.dir().file("base.raw");
  {
    std::ofstream out(base, std::ios::binary);
    for (int i = 0; i < 8; ++i) out << test::pattern_block("base-data");
    out << std::string((8 << 20) - 8 * 4096, '\0');
  }
  const std::string base_before = slurp(base);
  const std::string overlay = vm.dir().file("overlay.qcow2");
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  const std::string cmd = test::guest_cmd_port_toml(*socket, "vser0");
  const std::string manifest = vm.manifest(
      "overlay",
      cmd + disk("ovl", overlay,
                 fmt::format("format = \"qcow2\"\nbacking = {{ file = \"{}\", format = \"raw\" }}\n", base)));

  CHECK(compile(manifest).find(fmt::format("create image '{}' qcow2 over '{}' (raw) if missing", overlay, base)) !=
        std::string::npos);

  vm.boot(manifest);
  wait_size(vm, "vda", 8 << 20);  // the base's size
  CHECK(mode_of(overlay) == 0600);
  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(*socket, vm.report());
  REQUIRE(io);
  auto from_base = io->read("ovl", 0, 8, test::kGuestReportTimeout);
  REQUIRE(from_base);
  CHECK(from_base->pattern == "base-data");
  CHECK(from_base->sum == test::pattern_sum("base-data", 8));
  REQUIRE(io->write("ovl", 4096, "overlay-data", 2, test::kGuestReportTimeout));
  auto mixed = io->read("ovl", 0, 1, test::kGuestReportTimeout);
  REQUIRE(mixed);
  CHECK(mixed->pattern == "base-data");
  auto written = io->read("ovl", 4096, 2, test::kGuestReportTimeout);
  REQUIRE(written);
  CHECK(written->pattern == "overlay-data");

  JsonValue chain = image_info(overlay, true);
  const JsonArray* images = chain.as_array();
  REQUIRE(images);
  REQUIRE(images->size() == 2);
  CHECK((*images)[0].get_string("format") == "qcow2");
  CHECK((*images)[0].get_string("backing-filename") == base);
  CHECK((*images)[1].get_string("filename") == base);
  CHECK((*images)[1].get_string("format") == "raw");
  CHECK(slurp(base) == base_before);  // the writes are in the overlay only
}
