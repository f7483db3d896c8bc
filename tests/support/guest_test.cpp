// The test guest under real QEMU (TCG): boots, reports cold-plugged devices, powers off on
// the ACPI power button; on q35 and microvm; writes and reads data patterns on command.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "supervisor/qmp/blocking_client.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

// system_powerdown; the guest reports 'poweroff' and QEMU exits 0 by itself.
void power_down(test::GuestVm& vm, qmp::BlockingClient& qmp) {
  REQUIRE(qmp.execute("system_powerdown"));
  auto off = vm.report.wait_for([](const test::ReportValues& v) { return v.powered_off(); }, test::kGuestReportTimeout,
                                "'poweroff'");
  REQUIRE(off);
  auto status = vm.qemu.wait(20s);
  REQUIRE(status);
  CHECK(status->success());
}

void power_down(test::GuestVm& vm) {
  auto qmp = qmp::BlockingClient::connect(vm.qmp_socket);
  REQUIRE(qmp);
  power_down(vm, *qmp);
}

}  // namespace

TEST_CASE("the guest boots on q35 and reports its devices", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  REQUIRE(test::create_disk_image(dir->file("root.img"), "raw", 8 << 20));
  test::GuestVmOptions options;
  options.extra_args = {"-smp",
                        "2",
                        "-blockdev",
                        R"({"driver":"raw","node-name":"root.fmt","file":{"driver":"file","filename":")" +
                            dir->file("root.img") + R"("}})",
                        "-device",
                        R"({"driver":"virtio-blk-pci","id":"root","drive":"root.fmt","serial":"root-serial"})",
                        "-netdev",
                        R"({"type":"user","id":"eth0.net"})",
                        "-device",
                        R"({"driver":"virtio-net-pci","id":"eth0","netdev":"eth0.net","mac":"52:54:00:12:34:56"})"};
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
  options.extra_args = {"-blockdev", R"({"driver":"null-co","node-name":"d.fmt","size":1048576})", "-device",
                        R"({"driver":"virtio-blk-device","id":"d","drive":"d.fmt","serial":"mmio"})"};
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

TEST_CASE("the guest reports hot-added and removed devices, CPUs, memory and link state", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  REQUIRE(test::create_disk_image(dir->file("data.img"), "raw", 4 << 20));
  test::GuestVmOptions options;
  options.memory = "512M,slots=2,maxmem=1G";
  options.extra_args = {
      "-smp",
      "1,maxcpus=2",
      "-device",
      R"({"driver":"pcie-root-port","id":"rp1","chassis":1,"bus":"pcie.0","addr":"0x2.0x0","multifunction":true})",
      "-device",
      R"({"driver":"pcie-root-port","id":"rp2","chassis":2,"bus":"pcie.0","addr":"0x2.0x1"})",
      "-device",
      R"({"driver":"pcie-root-port","id":"rp3","chassis":3,"bus":"pcie.0","addr":"0x2.0x2"})"};
  auto vm = test::start_guest(*dir, options);
  REQUIRE(vm);
  auto boot = vm->report.wait_ready(test::kGuestBootTimeout);
  REQUIRE(boot);
  CHECK((*boot)["blocks"] == "");
  long memtotal = std::strtol((*boot)["memtotal_kib"].c_str(), nullptr, 10);
  auto qmp = qmp::BlockingClient::connect(vm->qmp_socket);
  REQUIRE(qmp);
  const auto timeout = test::kGuestReportTimeout;

  REQUIRE(
      qmp->execute("blockdev-add", R"({"driver":"raw","node-name":"data.fmt","file":{"driver":"file","filename":")" +
                                       dir->file("data.img") + R"("}})"));
  REQUIRE(qmp->execute("device_add",
                       R"({"driver":"virtio-blk-pci","id":"data","bus":"rp1","drive":"data.fmt","serial":"hot"})"));
  REQUIRE(vm->report.wait_for_value("block.vda", "size=4194304 serial=hot ro=0", timeout));
  REQUIRE(vm->report.wait_for_value("blocks", "vda", timeout));

  REQUIRE(qmp->execute("netdev_add", R"({"type":"user","id":"nic.net"})"));
  REQUIRE(qmp->execute(
      "device_add",
      R"({"driver":"virtio-net-pci","id":"nic","bus":"rp2","netdev":"nic.net","mac":"52:54:00:00:00:42"})"));
  REQUIRE(vm->report.wait_for_value("net.eth0", "mac=52:54:00:00:00:42 link=up", timeout));
  REQUIRE(qmp->execute("set_link", R"({"name":"nic","up":false})"));
  REQUIRE(vm->report.wait_for_value("net.eth0", "mac=52:54:00:00:00:42 link=down", timeout));

  REQUIRE(qmp->execute("device_add",
                       R"({"driver":"qemu64-x86_64-cpu","id":"cpu1","socket-id":0,"core-id":1,"thread-id":0})"));
  REQUIRE(vm->report.wait_for_value("cpus", "2", timeout));

  REQUIRE(qmp->execute("object-add", R"({"qom-type":"memory-backend-ram","id":"dimm.mem","size":134217728})"));
  REQUIRE(qmp->execute("device_add", R"({"driver":"pc-dimm","id":"dimm","memdev":"dimm.mem"})"));
  REQUIRE(vm->report.wait_for_key(
      "memtotal_kib",
      [&](std::string_view v) { return std::strtol(std::string(v).c_str(), nullptr, 10) == memtotal + 128 * 1024; },
      timeout));

  REQUIRE(qmp->execute("device_add", R"({"driver":"virtio-serial-pci","id":"vser","bus":"rp3"})"));
  REQUIRE(qmp->execute("chardev-add", R"({"id":"port.chr","backend":{"type":"null","data":{}}})"));
  REQUIRE(qmp->execute(
      "device_add",
      R"({"driver":"virtserialport","id":"port","bus":"vser.0","chardev":"port.chr","name":"org.vmforge.test"})"));
  REQUIRE(vm->report.wait_for_value("ports", "org.vmforge.test", timeout));

  REQUIRE(qmp->execute("device_del", R"({"id":"data"})"));
  REQUIRE(vm->report.wait_for_value("block.vda", "", timeout));
  REQUIRE(vm->report.wait_for_value("blocks", "", timeout));
  power_down(*vm, *qmp);
}

TEST_CASE("the guest writes a pattern on a disk chosen by serial and reads it back", "[guest]") {
  auto dir = test::TempDir::create();
  REQUIRE(dir);
  const std::string image = dir->file("data.img");
  REQUIRE(test::create_disk_image(image, "raw", 1 << 20));
  const std::string socket = dir->file("cmd.sock");
  test::GuestVmOptions options;
  options.extra_args = {
      "-blockdev", R"({"driver":"raw","node-name":"data.fmt","file":{"driver":"file","filename":")" + image + R"("}})",
      "-device",   R"({"driver":"virtio-blk-pci","id":"data","drive":"data.fmt","serial":"data-1"})",
      "-device",   R"({"driver":"virtio-serial-pci","id":"vser"})",
      "-chardev",  "socket,id=cmd,path=" + socket + ",server=on,wait=off",
      "-device",   R"({"driver":"virtserialport","bus":"vser.0","chardev":"cmd","name":"vmforge.cmd"})"};
  auto vm = test::start_guest(*dir, options);
  REQUIRE(vm);
  REQUIRE(vm->report.wait_ready(test::kGuestBootTimeout));
  REQUIRE(vm->report.wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(socket, vm->report);
  REQUIRE(io);

  auto written = io->write("data-1", 8192, "A", 8, test::kGuestReportTimeout);
  REQUIRE(written);
  CHECK(written->dev == "vda");
  CHECK(written->blocks == 8);
  CHECK(written->sum == test::pattern_sum("A", 8));
  auto read = io->read("data-1", 8192, 8, test::kGuestReportTimeout);
  REQUIRE(read);
  CHECK(read->pattern == "A");
  CHECK(read->sum == written->sum);
  auto zeros = io->read("data-1", 0, 2, test::kGuestReportTimeout);
  REQUIRE(zeros);
  CHECK(zeros->pattern == ":mixed");
  CHECK(zeros->sum == "b9d103fd6854a325");  // FNV-1a 64 of 8192 zero bytes

  auto unknown = io->read("no-such-serial", 0, 1, test::kGuestReportTimeout);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "the guest says: no disk with serial no-such-serial");
  auto unaligned = io->read("data-1", 100, 1, test::kGuestReportTimeout);
  REQUIRE_FALSE(unaligned);
  CHECK_THAT(unaligned.error().message, Catch::Contains("OFFSET a multiple of 4096"));

  // The write reached the image on the host (fdatasync in the guest, a flush in QEMU).
  std::ifstream file(image, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() == 1 << 20);
  CHECK(bytes.substr(0, 8192) == std::string(8192, '\0'));
  std::string expected;
  for (int i = 0; i < 8; ++i) expected += test::pattern_block("A");
  CHECK(bytes.substr(8192, expected.size()) == expected);
  CHECK(bytes.substr(8192 + expected.size()) == std::string(bytes.size() - 8192 - expected.size(), '\0'));
  power_down(*vm);
}
