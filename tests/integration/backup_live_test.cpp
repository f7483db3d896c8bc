// Backups of a running test guest (issue #13): a full backup, guest writes, an incremental
// backup smaller than the full one in proportion to what changed, and a restore of the chain
// (qemu-img convert of the newest image) into a new VM that reads every pattern back.
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/integration/live_vm.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::LiveVm;

namespace {

constexpr auto kTimeout = test::kGuestReportTimeout;
constexpr std::uint64_t kMiB = 1u << 20;

struct BackupFile {
  std::string file;
  std::uint64_t bytes = 0;
};

// `vmforge backup apt --to DIR`: the image it made of disk `data`, from its output.
BackupFile backup(LiveVm& vm, const std::string& dir, bool incremental) {
  std::vector<std::string> args{"backup", "apt", "--to", dir};
  if (incremental) args.emplace_back("--incremental");
  CliResult done = vm.cli(args);
  INFO(done.out << done.err << vm.log());
  REQUIRE(done.status == 0);
  std::istringstream lines(done.out);
  for (std::string line; std::getline(lines, line);) {
    const auto open = line.rfind(" (");
    if (!line.starts_with("  data: ") || open == std::string::npos) continue;
    BackupFile b{line.substr(8, open - 8), 0};
    b.bytes = std::strtoull(line.c_str() + open + 2, nullptr, 10);
    return b;
  }
  FAIL("no image of disk 'data' in: " << done.out);
  return {};
}

JsonValue chain_info(const std::string& path) {
  auto out = launch::run({"qemu-img", "info", "-U", "--output=json", "--backing-chain", path}, 30s);
  REQUIRE(out);
  auto json = parse_json(*out);
  REQUIRE(json);
  return std::move(*json);
}

std::string disk(const std::string& file) {
  return fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nformat = \"qcow2\"\nserial = \"data\"\nsize = \"64M\"\n",
                     file);
}

void check_read(test::GuestIo& io, std::uint64_t offset, std::uint64_t blocks, std::string_view word) {
  auto read = io.read("data", offset, blocks, kTimeout);
  REQUIRE(read);
  INFO("at " << offset);
  CHECK(read->pattern == word);
}

}  // namespace

TEST_CASE("full and incremental backups of a running guest restore into a new VM", "[qemu][backup]") {
  auto backups = test::TempDir::create();
  REQUIRE(backups);
  BackupFile full, incremental;
  {
    LiveVm vm;
    auto socket = test::guest_cmd_socket(vm.dir());
    REQUIRE(socket);
    const std::string manifest =
        vm.manifest("data", test::guest_cmd_port_toml(*socket, "vser0") + disk(vm.dir().file("data.qcow2")));
    vm.boot(manifest);
    REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", kTimeout));
    auto io = test::GuestIo::connect(*socket, vm.report());
    REQUIRE(io);

    CliResult early = vm.cli({"backup", "apt", "--to", backups->path(), "--incremental"});
    CHECK(early.status == 1);
    CHECK(early.err.find("Disk 'data' has no full backup to build on: run 'vmforge backup apt --to DIR' without "
                         "--incremental first.") != std::string::npos);

    REQUIRE(io->write("data", 0, "full-a", 1024, kTimeout));  // 4 MiB
    full = backup(vm, backups->path(), false);
    CHECK(full.file.starts_with(backups->path() + "/apt-data-"));
    CHECK(full.bytes >= 4 * kMiB);
    const JsonValue* bitmaps = nullptr;
    JsonValue nodes = vm.qmp(R"({"execute":"query-named-block-nodes","arguments":{"flat":true}})");
    for (const JsonValue& n : *nodes.as_array()) {
      if (n.get_string("node-name") == "data.fmt") bitmaps = n.find("dirty-bitmaps");
    }
    REQUIRE(bitmaps);
    REQUIRE(bitmaps->as_array());
    REQUIRE(bitmaps->as_array()->size() == 1);
    CHECK((*bitmaps->as_array())[0].get_string("name") == "vmforge-backup");
    CHECK((*bitmaps->as_array())[0].get_bool("persistent") == true);
    // The backup's nodes are gone again: only the VM's own remain.
    CHECK(vm.block_nodes().find("bk") == std::string::npos);

    REQUIRE(io->write("data", kMiB, "incr-b", 32, kTimeout));  // 128 KiB over the full backup's data
    incremental = backup(vm, backups->path(), true);
    INFO("full " << full.bytes << " bytes, incremental " << incremental.bytes << " bytes");
    CHECK(incremental.bytes >= 128 * 1024);
    CHECK(incremental.bytes * 8 < full.bytes);

    JsonValue chain = chain_info(incremental.file);
    REQUIRE(chain.as_array());
    REQUIRE(chain.as_array()->size() == 2);
    CHECK((*chain.as_array())[0].get_string("backing-filename") == full.file);
    CHECK((*chain.as_array())[1].get_string("filename") == full.file);
  }

  // Restore: the chain made one standalone image, the disk of a new VM.
  const std::string restored = backups->file("restored.qcow2");
  REQUIRE(launch::run({"qemu-img", "convert", "-O", "qcow2", incremental.file, restored}, 120s));
  LiveVm vm;
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  vm.boot(vm.manifest("restored", test::guest_cmd_port_toml(*socket, "vser0") + disk(restored)));
  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", kTimeout));
  auto io = test::GuestIo::connect(*socket, vm.report());
  REQUIRE(io);
  check_read(*io, 0, 256, "full-a");
  check_read(*io, kMiB, 32, "incr-b");
  check_read(*io, kMiB + 128 * 1024, 768 - 32, "full-a");
}
