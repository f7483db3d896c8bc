// Backups of a running test guest (issue #13): a full backup, guest writes, an incremental
// backup smaller than the full one in proportion to what changed, and a restore of the chain
// (qemu-img convert of the newest image) into a new VM that reads every pattern back; with
// [backup] keep = 1 the next full backup removes the older set. A supervisor killed during a
// backup, with the job cancelled or ended unseen, loses nothing.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/vm_client.hpp"
#include "supervisor/launch/process.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "tests/integration/live_vm.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::LiveVm;

namespace {

constexpr std::uint64_t kMiB = 1u << 20;

struct BackupFile {
  std::string file;
  std::uint64_t bytes = 0;
};

// `vmforge backup apt --to DIR`: the image it made of disk `disk`, from its output.
BackupFile backup(LiveVm& vm, const std::string& dir, bool incremental, const std::string& disk = "data") {
  std::vector<std::string> args{"backup", "apt", "--to", dir};
  if (incremental) args.emplace_back("--incremental");
  CliResult done = vm.cli(args);
  INFO(done.out << done.err << vm.log());
  REQUIRE(done.status == 0);
  std::istringstream lines(done.out);
  const std::string start = "  " + disk + ": ";
  for (std::string line; std::getline(lines, line);) {
    const auto open = line.rfind(" (");
    if (!line.starts_with(start) || open == std::string::npos) continue;
    BackupFile b{line.substr(start.size(), open - start.size()), 0};
    b.bytes = std::strtoull(line.c_str() + open + 2, nullptr, 10);
    return b;
  }
  FAIL("no image of disk '" << disk << "' in: " << done.out);
  return {};
}

// The first block of the image (with its chain) `file`, as the guest would read it.
std::string first_block_of(const std::string& file, const std::string& scratch) {
  REQUIRE(launch::run({"qemu-img", "convert", "-O", "raw", file, scratch}, 120s));
  std::ifstream in(scratch, std::ios::binary);
  std::string block(4096, '\0');
  in.read(block.data(), static_cast<std::streamsize>(block.size()));
  return block;
}

JsonValue chain_info(const std::string& path) {
  auto info = test::image_info(path, true);
  REQUIRE(info);
  return std::move(*info);
}

std::string disk(const std::string& file, std::string_view id = "data", std::string_view size = "64M") {
  return fmt::format("[[disk]]\nid = \"{0}\"\nfile = \"{1}\"\nformat = \"qcow2\"\nserial = \"{0}\"\nsize = \"{2}\"\n",
                     id, file, size);
}

void check_read(test::GuestIo& io, std::uint64_t offset, std::uint64_t blocks, std::string_view word) {
  auto read = io.read("data", offset, blocks, test::kGuestReportTimeout);
  REQUIRE(read);
  INFO("at " << offset);
  CHECK(read->pattern == word);
}

}  // namespace

TEST_CASE("full and incremental backups of a running guest restore into a new VM", "[qemu][backup]") {
  auto backups = test::temp_dir();
  BackupFile full, incremental;
  const std::string restored = backups.file("restored.qcow2");
  {
    LiveVm vm;
    auto socket = test::guest_cmd_socket(vm.dir());
    REQUIRE(socket);
    // Two disks: one transaction starts both jobs (the disks are cut at one instant), the
    // backup ends when both have.
    const std::string manifest =
        vm.manifest("data", test::guest_cmd_port_toml(*socket, "vser0") + disk(vm.dir().file("data.qcow2")) +
                                disk(vm.dir().file("logs.qcow2"), "logs", "16M") + "[backup]\nkeep = 1\n");
    vm.boot(manifest);
    REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
    auto io = test::GuestIo::connect(*socket, vm.report());
    REQUIRE(io);

    CliResult early = vm.cli({"backup", "apt", "--to", backups.path(), "--incremental"});
    CHECK(early.status == 1);
    CHECK(early.err.find("Disk 'data' has no full backup to build on: run 'vmforge backup apt --to DIR' without "
                         "--incremental first.") != std::string::npos);

    REQUIRE(io->write("data", 0, "full-a", 1024, test::kGuestReportTimeout));  // 4 MiB
    REQUIRE(io->write("logs", 0, "logs-a", 4, test::kGuestReportTimeout));
    full = backup(vm, backups.path(), false);
    CHECK(full.file.starts_with(backups.path() + "/apt-data-"));
    CHECK(full.bytes >= 4 * kMiB);
    // The same backup's image of 'logs': "apt-logs-" and the same time.
    const BackupFile logs{backups.path() + "/apt-logs-" + full.file.substr(full.file.rfind("-data-") + 6), 0};
    CHECK(first_block_of(logs.file, backups.file("logs.raw")) == test::pattern_block("logs-a"));
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

    REQUIRE(io->write("data", kMiB, "incr-b", 32, test::kGuestReportTimeout));  // 128 KiB over the full backup's data
    incremental = backup(vm, backups.path(), true);
    INFO("full " << full.bytes << " bytes, incremental " << incremental.bytes << " bytes");
    CHECK(incremental.bytes >= 128 * 1024);
    CHECK(incremental.bytes * 8 < full.bytes);

    JsonValue chain = chain_info(incremental.file);
    REQUIRE(chain.as_array());
    REQUIRE(chain.as_array()->size() == 2);
    CHECK((*chain.as_array())[0].get_string("backing-filename") == full.file);
    CHECK((*chain.as_array())[1].get_string("filename") == full.file);

    // Restore (below): the chain made one standalone image, the disk of a new VM.
    REQUIRE(launch::run({"qemu-img", "convert", "-O", "qcow2", incremental.file, restored}, 120s));

    // [backup] keep = 1: the next full backup starts a set and removes the older one, record
    // first; the next incremental one builds on the set kept.
    CliResult second = vm.cli({"backup", "apt", "--to", backups.path()});
    INFO(second.out << second.err);
    REQUIRE(second.status == 0);
    CHECK(second.out.find("Removed older backups ([backup] keep):\n") != std::string::npos);
    for (const std::string& gone : {full.file, logs.file, incremental.file}) {
      CHECK(second.out.find("\n  " + gone + "\n") != std::string::npos);
      CHECK_FALSE(std::ifstream(gone).good());
    }
    auto record = read_file(vm.dir().file("data.qcow2.vmforge-backups.json"));
    REQUIRE(record);
    CHECK(record->find(full.file) == std::string::npos);
    CHECK(record->find(incremental.file) == std::string::npos);
    const BackupFile third = backup(vm, backups.path(), true);
    JsonValue kept = chain_info(third.file);
    REQUIRE(kept.as_array());
    REQUIRE(kept.as_array()->size() == 2);
    CHECK(std::ifstream(std::string((*kept.as_array())[1].get_string("filename").value_or(""))).good());
  }

  LiveVm vm;
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  vm.boot(vm.manifest("restored", test::guest_cmd_port_toml(*socket, "vser0") + disk(restored)));
  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(*socket, vm.report());
  REQUIRE(io);
  check_read(*io, 0, 256, "full-a");
  check_read(*io, kMiB, 32, "incr-b");
  check_read(*io, kMiB + 128 * 1024, 768 - 32, "full-a");
}

namespace {

// `vmforge qmp apt query-named-block-nodes` names a backup target node ("bk…").
bool backup_running(LiveVm& vm) {
  CliResult nodes = vm.cli({"qmp", "apt", R"({"execute":"query-named-block-nodes","arguments":{"flat":true}})"});
  return nodes.status == 0 && nodes.out.find(R"("node-name": "bk)") != std::string::npos;
}

// `vmforge backup apt --to DIR` started, returned once its job runs, slowed to a crawl.
struct RunningBackup {
  launch::Process cli;
};
RunningBackup start_backup(LiveVm& vm, const std::string& dir) {
  auto events = supervisor::VmClient::connect("apt", vm.dir().file("rt"));
  REQUIRE(events);
  REQUIRE(events->subscribe_events());
  launch::SpawnOptions options;
  options.argv = {std::getenv("VMFORGE_BINARY"), "backup", "apt", "--to", dir, "--runtime-dir", vm.dir().file("rt")};
  auto cli = launch::spawn(options);
  REQUIRE(cli);
  for (;;) {
    auto event = events->next_event(60s);
    REQUIRE(event);
    const JsonValue* data = event->find("data");
    if (event->get_string("event") == "JOB_STATUS_CHANGE" && data && data->get_string("status") == "running") break;
  }
  vm.qmp(R"({"execute":"block-job-set-speed","arguments":{"device":"vmforge-backup-data","speed":65536}})");
  return {std::move(*cli)};
}

// Starts a backup and kills the supervisor while its job copies; the CLI is left to fail.
void kill_during_backup(LiveVm& vm, const std::string& dir) {
  auto running = start_backup(vm, dir);
  REQUIRE(vm.supervisor().signal(SIGKILL));
  REQUIRE(vm.supervisor().wait(10s));
  vm.forget_supervisor();
  (void)running.cli.wait(10s);
}

// Starts a supervisor for `manifest`, which adopts the live QEMU, and waits until it answers.
void restart_supervisor(LiveVm& vm, const std::string& manifest) {
  vm.start(manifest);
  const auto up = std::chrono::steady_clock::now() + 60s;
  while (vm.cli({"status", "apt"}).status != 0 && std::chrono::steady_clock::now() < up)
    std::this_thread::sleep_for(100ms);
}

// Backups left in `dir`: its qcow2 images, and that the first backup's is among them.
void check_images_left(const std::string& dir, std::size_t count, const BackupFile& first) {
  std::size_t images = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().find("qcow2") != std::string::npos) ++images;
  }
  CHECK(images == count);
  CHECK(std::ifstream(first.file).good());
}

std::string read_bytes(const std::string& path, std::uint64_t offset, std::size_t size) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  return bytes;
}

}  // namespace

TEST_CASE("a supervisor killed during a backup is adopted unchanged and the next backup works", "[qemu][backup]") {
  auto backups = test::temp_dir();
  LiveVm vm;
  // 256 MiB of data, so that the full backup takes long enough to be killed in.
  const std::string raw = vm.dir().file("data.raw");
  {
    std::ofstream out(raw, std::ios::binary);
    std::uint64_t x = 88172645463325252ull;
    std::string chunk(kMiB, '\0');
    for (int m = 0; m < 256; ++m) {
      for (std::size_t i = 0; i < chunk.size(); i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        std::memcpy(chunk.data() + i, &x, 8);
      }
      out << chunk;
    }
  }
  const std::string image = vm.dir().file("data.qcow2");
  REQUIRE(launch::run({"qemu-img", "convert", "-O", "qcow2", raw, image}, 120s));
  const std::string original = read_bytes(raw, 8 * kMiB, 4096);
  auto socket = test::guest_cmd_socket(vm.dir());
  REQUIRE(socket);
  const std::string manifest = vm.manifest(
      "data",
      test::guest_cmd_port_toml(*socket, "vser0") +
          fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nformat = \"qcow2\"\nserial = \"data\"\n", image));
  vm.boot(manifest);
  const BackupFile first = backup(vm, backups.path(), false);

  // A second full backup, showing its progress, then cancelled with Ctrl-C while its job
  // copies: its image goes, the first stays. The job is slowed to a crawl
  // (block-job-set-speed) so that it is still copying when the cancel comes.
  {
    auto running = start_backup(vm, backups.path());
    // The VM does not migrate while its backup's job copies (its target is on this host).
    CliResult refused = vm.cli({"migrate", "apt", "--to", "unix:" + vm.dir().file("nobody.sock")});
    CHECK(refused.status != 0);
    CHECK(refused.err.find("VM 'apt' has a backup under way: 'migrate' is refused until it has ended") !=
          std::string::npos);
    std::this_thread::sleep_for(2500ms);  // long enough for a progress line (one a second)
    REQUIRE(running.cli.signal(SIGINT));
    auto status = running.cli.wait(30s);
    REQUIRE(status);
    CHECK_FALSE(status->signaled);
    CHECK(status->value == 1);
    const std::string err = running.cli.stderr_text();
    INFO(err);
    CHECK(err.find("Backing up: ") != std::string::npos);
    CHECK(err.find(" of 256.0 MiB (") != std::string::npos);
    CHECK(err.find(" MiB/s") != std::string::npos);
    CHECK(err.find("Backup cancelled: its images are removed, earlier backups are kept.") != std::string::npos);
    CHECK_FALSE(backup_running(vm));
    check_images_left(backups.path(), 1, first);
  }

  // A third, killed while its job copies.
  kill_during_backup(vm, backups.path());
  restart_supervisor(vm, manifest);
  {
    CliResult adopted = vm.cli({"plan", manifest});
    INFO(adopted.out << adopted.err);
    CHECK(adopted.status == 0);  // adopted unchanged
  }

  REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
  auto io = test::GuestIo::connect(*socket, vm.report());
  REQUIRE(io);
  REQUIRE(io->write("data", 0, "after-kill", 4, test::kGuestReportTimeout));
  // The next backup cleans up what the killed one left. An incremental one (over the first)
  // works when the killed job was still running (cancelled: the bitmap is intact); when it had
  // ended unseen, the bitmap is dropped and a full backup is asked for, never an incremental
  // one missing data.
  std::vector<std::string> args{"backup", "apt", "--to", backups.path(), "--incremental"};
  CliResult next = vm.cli(args);
  INFO(next.out << next.err << vm.log());
  if (next.status != 0) {
    CHECK(next.err.find("Disk 'data' has no full backup to build on") != std::string::npos);
    args.pop_back();
    next = vm.cli(args);
  }
  REQUIRE(next.status == 0);
  CHECK_FALSE(backup_running(vm));
  CHECK(vm.cli({"plan", manifest}).status == 0);

  // The newest image with its chain holds the guest's write and the data under it; the killed
  // backup's image is gone: the first and the newest remain.
  const auto line = next.out.find("  data: ");
  REQUIRE(line != std::string::npos);
  const std::string newest = next.out.substr(line + 8, next.out.find(" (", line) - line - 8);
  const std::string restored = backups.file("restored.raw");
  REQUIRE(launch::run({"qemu-img", "convert", "-O", "raw", newest, restored}, 120s));
  CHECK(read_bytes(restored, 0, 4096) == test::pattern_block("after-kill"));
  CHECK(read_bytes(restored, 8 * kMiB, 4096) == original);
  check_images_left(backups.path(), 2, first);

  // A fourth, killed while its job copies, and the job then left to end while no supervisor
  // runs (sped up through QEMU's own monitor): its success reset the bitmaps to a backup nobody
  // recorded. The next supervisor drops them: an incremental backup is refused, a full one works.
  kill_during_backup(vm, backups.path());
  {
    auto monitor = qmp::BlockingClient::connect(vm.dir().file("rt/apt/qmp.sock"));
    REQUIRE(monitor);
    auto ended =
        monitor->execute_until(R"(block-job-set-speed)", R"({"device":"vmforge-backup-data","speed":0})",
                               {"BLOCK_JOB_COMPLETED", qmp::data_equals("device", "vmforge-backup-data")}, 120s);
    INFO((ended ? std::string() : ended.error().message));
    REQUIRE(ended);
    CHECK_FALSE(ended->find("error"));
  }
  restart_supervisor(vm, manifest);
  CliResult refused = vm.cli({"backup", "apt", "--to", backups.path(), "--incremental"});
  INFO(refused.out << refused.err << vm.log());
  CHECK(refused.status == 1);
  CHECK(refused.err.find("Disk 'data' has no full backup to build on (its dirty bitmap is gone)") != std::string::npos);
  CHECK(vm.log().find("dirty bitmaps dropped (the next backup must be full)") != std::string::npos);
  const BackupFile full_again = backup(vm, backups.path(), false);
  CHECK(std::ifstream(full_again.file).good());
  CHECK(vm.cli({"plan", manifest}).status == 0);
}
