// The test guest under real QEMU (TCG): boots, reports cold-plugged devices, powers off on
// the ACPI power button; on q35 and microvm.
#include <chrono>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "supervisor/qmp/blocking_client.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

// system_powerdown; the guest reports 'poweroff' and QEMU exits 0 by itself.
void power_down(test::GuestVm& vm) {
  auto qmp = qmp::BlockingClient::connect(vm.qmp_socket);
  REQUIRE(qmp);
  REQUIRE(qmp->execute("system_powerdown"));
  auto off = vm.report.wait_for([](const test::ReportValues& v) { return v.powered_off(); },
                                test::kGuestReportTimeout, "'poweroff'");
  REQUIRE(off);
  auto status = vm.qemu.wait(20s);
  REQUIRE(status);
  CHECK(status->success());
}

}  // namespace

TEST_CASE("the guest boots on q35 and reports its devices", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  REQUIRE(test::create_disk_image(dir->file("root.img"), "raw", 8 << 20));
  test::GuestVmOptions options;
  options.extra_args = {
      "-smp", "2",
      "-blockdev", R"({"driver":"raw","node-name":"root.fmt","file":{"driver":"file","filename":")" +
                       dir->file("root.img") + R"("}})",
      "-device", R"({"driver":"virtio-blk-pci","id":"root","drive":"root.fmt","serial":"root-serial"})",
      "-netdev", R"({"type":"user","id":"eth0.net"})",
      "-device", R"({"driver":"virtio-net-pci","id":"eth0","netdev":"eth0.net","mac":"52:54:00:12:34:56"})"};
  auto vm = test::start_guest(*dir, options);
  REQUIRE(vm);
  auto v = vm->report.wait_ready(test::kGuestBootTimeout);
  REQUIRE(v);
  CHECK((*v)["cpus"] == "2");
  CHECK((*v)["cpus.online"] == "0-1");
  CHECK(std::strtol((*v)["memtotal_kib"].c_str(), nullptr, 10) > 400 * 1024);
  CHECK((*v)["blocks"] == "vda");
  CHECK((*v)["block.vda"] == "size=8388608 serial=root-serial ro=0");
  CHECK((*v)["nets"] == "eth0");
  CHECK((*v)["net.eth0"] == "mac=52:54:00:12:34:56 link=up");
  CHECK((*v)["virtio"] == "block,net");
  CHECK_FALSE((*v)["kernel"].empty());
  CHECK(std::strtol((*v)["uptime_ms"].c_str(), nullptr, 10) > 0);
  power_down(*vm);
}

TEST_CASE("the guest boots on microvm (virtio-mmio) and powers off", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  test::GuestVmOptions options;
  options.machine = "microvm";
  options.extra_args = {
      "-blockdev", R"({"driver":"null-co","node-name":"d.fmt","size":1048576})",
      "-device", R"({"driver":"virtio-blk-device","id":"d","drive":"d.fmt","serial":"mmio"})"};
  auto vm = test::start_guest(*dir, options);
  REQUIRE(vm);
  auto v = vm->report.wait_ready(test::kGuestBootTimeout);
  REQUIRE(v);
  CHECK((*v)["block.vda"] == "size=1048576 serial=mmio ro=0");
  power_down(*vm);
}

TEST_CASE("start_guest returns QEMU's error when QEMU rejects its arguments", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  test::GuestVmOptions options;
  options.extra_args = {"-device", "no-such-device"};
  auto vm = test::start_guest(*dir, options);
  REQUIRE(vm);
  auto status = vm->qemu.wait(10s);
  REQUIRE(status);
  CHECK_FALSE(status->success());
  CHECK_THAT(vm->qemu.exit_error(*status).message,
             Catch::Contains("'no-such-device' is not a valid device model name"));
}
