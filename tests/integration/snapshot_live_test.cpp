// External snapshots on the running test guest (issue #13, acceptance 3): the
// guest writes A, a snapshot is taken live, the guest writes B; B lands in the new layer and A
// stays in the disk's file; `plan` sees no change; a new supervisor adopting QEMU and a new
// QEMU started with an empty runtime dir (a host reboot) both keep writing to the layer (the
// guest reads B); revert
// --allow-restart boots the guest with A and not B; delete merges the layer live and the guest
// still reads what it wrote last.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tests/integration/live_vm.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::LiveVm;

namespace {

std::string first_block(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string block(4096, '\0');
  in.read(block.data(), static_cast<std::streamsize>(block.size()));
  return block;
}

test::GuestIo guest_io(LiveVm& vm, const std::string& socket) {
  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(socket, vm.report());
  REQUIRE(io);
  return std::move(*io);
}

void check_reads(test::GuestIo& io, std::string_view word) {
  auto read = io.read("data", 0, 2, test::kGuestReportTimeout);
  REQUIRE(read);
  CHECK(read->pattern == word);
}

// Until the adopting supervisor answers on its control socket.
void wait_answering(LiveVm& vm) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (vm.cli({"status", "apt"}).status != 0) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("the supervisor never answered\n" << vm.log());
    std::this_thread::sleep_for(200ms);
  }
}

void check_no_changes(LiveVm& vm, const std::string& manifest) {
  CliResult plan = vm.cli({"plan", manifest});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 0);
}

}  // namespace

TEST_CASE("a live snapshot takes the writes after it; restarts keep writing to its layer", "[qemu][snapshot]") {
  LiveVm vm;
  const std::string image = vm.dir().file("data.raw");
  const std::string layer = image + ".snap1.qcow2";
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  const std::string manifest = vm.manifest(
      "snap", test::guest_cmd_port_toml(*socket, "vser0") +
                  fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nserial = \"data\"\nsize = \"8M\"\n", image));
  vm.boot(manifest);
  {
    test::GuestIo io = guest_io(vm, *socket);
    REQUIRE(io.write("data", 0, "written-before", 2, test::kGuestReportTimeout));

    CliResult taken = vm.cli({"snapshot", "apt", "snap1", "--label", "first"});
    INFO(taken.out << taken.err << vm.log());
    REQUIRE(taken.status == 0);
    REQUIRE(io.write("data", 0, "written-after", 2, test::kGuestReportTimeout));
    check_reads(io, "written-after");
  }
  CHECK(first_block(image) == test::pattern_block("written-before"));  // B is in the layer only
  CHECK(std::ifstream(layer).good());
  CHECK(vm.block_nodes() == "data.file,data.fmt,data.s1,data.s1-file");
  check_no_changes(vm, manifest);

  CliResult list = vm.cli({"snapshot", "list", "apt"});
  INFO(list.out << list.err);
  CHECK(list.status == 0);
  CHECK(list.out.find("snap1  ") == 0);
  const std::string active = "Disk 'data' writes to the layer of snapshot 'snap1' (" + layer + ") above its file.\n";
  CHECK(list.out.find("'first'\n  disk 'data': " + layer + "\n" + active) != std::string::npos);
  // plan and status say which layer the disk writes to.
  CHECK(vm.cli({"plan", manifest}).out.find("with the running VM 'apt'.\n" + active + "\nNo changes.") !=
        std::string::npos);
  CHECK(vm.cli({"status", "apt"}).out.find("  " + active) != std::string::npos);
  CHECK(vm.cli({"status", "apt", "--json"})
            .out.find(R"("layers":[{"disk":"data","snapshot":"snap1","file":")" + layer + R"("}])") !=
        std::string::npos);
  CliResult again = vm.cli({"snapshot", "apt", "snap1"});
  CHECK(again.status == 1);
  CHECK(again.err.find("Snapshot 'snap1' exists already.") != std::string::npos);
  // An old file where a new layer would go is never taken as the layer.
  { std::ofstream(image + ".stale.qcow2") << "old"; }
  CliResult stale = vm.cli({"snapshot", "apt", "stale"});
  CHECK(stale.status == 1);
  CHECK(stale.err.find("'" + image + ".stale.qcow2' exists already: remove it or choose another snapshot name.") !=
        std::string::npos);

  // A new supervisor adopts the running QEMU: the record gives it the layer, nothing changes.
  REQUIRE(vm.supervisor().signal(SIGKILL));
  REQUIRE(vm.supervisor().wait(10s));
  vm.forget_supervisor();
  vm.start(manifest);
  wait_answering(vm);
  check_no_changes(vm, manifest);
  CHECK(vm.block_nodes() == "data.file,data.fmt,data.s1,data.s1-file");

  // A new QEMU is started onto the layer with an empty runtime dir, as after a host reboot
  // (the record is beside the disk's file): the guest reads B.
  CliResult stopped = vm.cli({"stop", "apt"});
  INFO(stopped.out << stopped.err);
  REQUIRE(stopped.status == 0);
  REQUIRE(vm.supervisor().wait(30s));
  vm.forget_supervisor();
  CHECK(std::ifstream(image + ".vmforge-chain.json").good());
  std::filesystem::remove_all(vm.dir().file("rt"));
  // A new guest: its serial log is read from the start (the old one's `ready` is gone).
  std::filesystem::remove(vm.dir().file("serial.log"));
  vm.report() = test::SerialReport(vm.dir().file("serial.log"));
  vm.boot(manifest);
  test::GuestIo io = guest_io(vm, *socket);
  check_reads(io, "written-after");
  check_no_changes(vm, manifest);
  CHECK(first_block(image) == test::pattern_block("written-before"));

  // Revert: refused without --allow-restart, then QEMU restarts and the guest reads A again.
  CliResult refused = vm.cli({"snapshot", "revert", "apt", "snap1"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("Run again with --allow-restart.") != std::string::npos);
  std::filesystem::remove(vm.dir().file("serial.log"));
  vm.report() = test::SerialReport(vm.dir().file("serial.log"));
  CliResult reverted = vm.cli({"snapshot", "revert", "apt", "snap1", "--allow-restart"});
  INFO(reverted.out << reverted.err << vm.log());
  REQUIRE(reverted.status == 0);
  REQUIRE(vm.report().wait_ready(test::kGuestBootTimeout));
  test::GuestIo back = guest_io(vm, *socket);
  check_reads(back, "written-before");
  check_no_changes(vm, manifest);
  CHECK(vm.cli({"snapshot", "list", "apt"}).out.find(active) != std::string::npos);
  // The snapshot stays: new writes go to its layer again (4 MiB: a merge long enough to show
  // its progress), the disk's file keeps A.
  REQUIRE(back.write("data", 0, "written-again", 1024, test::kGuestReportTimeout));
  CHECK(first_block(image) == test::pattern_block("written-before"));

  // Delete merges the layer into the disk's file live, at 1 MiB/s, showing its progress: the
  // guest still reads what it wrote.
  CliResult deleted = vm.cli({"snapshot", "delete", "apt", "snap1", "--speed", "1M"});
  INFO(deleted.out << deleted.err << vm.log());
  REQUIRE(deleted.status == 0);
  CHECK(deleted.err.find("Merging: ") != std::string::npos);
  CHECK(deleted.err.find(" of 4.0 MiB (") != std::string::npos);
  check_reads(back, "written-again");
  CHECK(first_block(image) == test::pattern_block("written-again"));
  CHECK_FALSE(std::ifstream(layer).good());
  CHECK_FALSE(std::ifstream(image + ".vmforge-chain.json").good());
  CHECK(vm.block_nodes() == "data.file,data.fmt");
  check_no_changes(vm, manifest);
  CHECK(vm.cli({"snapshot", "list", "apt"}).out == "No snapshots.\n");
}
