// The backup steps (what QEMU is asked, in which order, undone how) and the backup record.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "compiler/lower/context.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/backup_record.hpp"
#include "supervisor/core/backups.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;

namespace {

std::string wire(const QmpCall& c) { return c.command + " " + c.arguments; }

}  // namespace

TEST_CASE("a full backup adds the disk's bitmap with the job; detaching undoes the attachment", "[backup]") {
  const DiskBackup data{"data", "data.fmt", 64u << 20, "/b/vm-data-T.qcow2", "", true};
  const auto steps = backup_steps("T", {data}, 5000);
  REQUIRE(steps.size() == 4);
  for (const PlanStep& s : steps) CHECK(s.resource == "backup");

  const std::string fdset = hot_fdset_path("backup\n/b/vm-data-T.qcow2");
  CHECK(steps[0].call.command == "add-fd");
  REQUIRE(steps[0].call.file);
  CHECK(*steps[0].call.file == PassedFile{"/b/vm-data-T.qcow2", FileOpen::read_write, ImageCreate{"qcow2", 64u << 20}});
  CHECK(wire(steps[1].call) ==
        R"(blockdev-add {"driver":"file","node-name":"bkT-0-file","filename":")" + fdset + R"("})");
  CHECK(wire(steps[2].call) ==
        R"(blockdev-add {"driver":"qcow2","node-name":"bkT-0-fmt","file":"bkT-0-file","backing":null})");
  CHECK(wire(steps[3].call) ==
        R"(transaction {"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"data.fmt","name":"vmforge-backup",)"
        R"("persistent":true}},{"type":"blockdev-backup","data":{"job-id":"vmforge-backup-data","device":"data.fmt",)"
        R"("target":"bkT-0-fmt","sync":"full","bitmap":"vmforge-backup","bitmap-mode":"on-success"}}]})");
  CHECK(steps[3].call.completion.event == "BLOCK_JOB_COMPLETED");
  CHECK(steps[3].call.completion.device_id == "vmforge-backup-data");
  CHECK_FALSE(steps[3].undo);

  const auto release = release_steps(steps);
  REQUIRE(release.size() == 3);
  CHECK(wire(release[0].call) == R"(blockdev-del {"node-name":"bkT-0-fmt"})");
  CHECK(wire(release[1].call) == R"(blockdev-del {"node-name":"bkT-0-file"})");
  CHECK(release[2].call.command == "remove-fd");
  for (const PlanStep& s : release) CHECK_FALSE(s.undo);
}

TEST_CASE("an incremental backup copies the bitmap's clusters into an overlay of the previous backup", "[backup]") {
  const DiskBackup data{"data", "data.fmt", 64u << 20, "/b/vm-data-U.qcow2", "/b/vm-data-T.qcow2", false};
  const DiskBackup root{"root", "root.fmt", 32u << 20, "/b/vm-root-U.qcow2", "/b/vm-root-T.qcow2", false};
  const auto steps = backup_steps("U", {data, root}, 5000);
  REQUIRE(steps.size() == 7);
  for (const PlanStep& s : steps) CHECK(s.resource == "backup");  // in order: the transaction last
  REQUIRE(steps[0].call.file);
  CHECK(steps[0].call.file->create == ImageCreate{"qcow2", 64u << 20, "/b/vm-data-T.qcow2", "qcow2"});
  CHECK(wire(steps[5].call).find(R"("node-name":"bkU-1-fmt")") != std::string::npos);
  // Both disks in one transaction: cut at the same instant; done when both jobs are.
  CHECK(wire(steps[6].call) ==
        R"(transaction {"actions":[{"type":"blockdev-backup","data":{"job-id":"vmforge-backup-data","device":"data.fmt",)"
        R"("target":"bkU-0-fmt","sync":"incremental","bitmap":"vmforge-backup","bitmap-mode":"on-success"}},)"
        R"({"type":"blockdev-backup","data":{"job-id":"vmforge-backup-root","device":"root.fmt",)"
        R"("target":"bkU-1-fmt","sync":"incremental","bitmap":"vmforge-backup","bitmap-mode":"on-success"}}]})");
  CHECK(steps[6].call.completion.device_id == "vmforge-backup-data");
  CHECK(steps[6].call.completion.more_device_ids == std::vector<std::string>{"vmforge-backup-root"});
}

TEST_CASE("the backup record round-trips and names each disk's newest file", "[backup]") {
  const std::vector<BackupEntry> entries{
      {"T", false, {{"data", "/b/vm-data-T.qcow2", 1000}, {"root", "/b/vm-root-T.qcow2", 2000}}},
      {"U", true, {{"data", "/b/vm-data-U.qcow2", 10}}},
  };
  auto back = parse_backup_record(backup_record_json(entries));
  REQUIRE(back);
  CHECK(*back == entries);
  CHECK(last_backup_file(entries, "data") == "/b/vm-data-U.qcow2");
  CHECK(last_backup_file(entries, "root") == "/b/vm-root-T.qcow2");
  CHECK(last_backup_file(entries, "other").empty());
  CHECK_FALSE(parse_backup_record(R"({"backups":[{"id":"T"}]})"));
  CHECK_FALSE(parse_backup_record("not json"));
}

TEST_CASE("the backup record is kept in parts beside each disk's file and read back whole", "[backup]") {
  auto tmp = test::temp_dir();
  auto vm = validate_text(fmt::format("name = \"t\"\n[[disk]]\nid = \"data\"\nfile = \"{0}/data.qcow2\"\n"
                                      "[[disk]]\nid = \"root\"\nfile = \"{0}/root.qcow2\"\n",
                                      tmp.path()),
                          "/m/t.toml");
  REQUIRE(vm);
  const std::vector<BackupEntry> entries{
      {"20261207T152300Z", false, {{"data", "/b/vm-data-T.qcow2", 1000}, {"root", "/b/vm-root-T.qcow2", 2000}}},
      {"20261207T152300Z-2", true, {{"data", "/b/vm-data-U.qcow2", 10}}},
  };
  const StateDir state{tmp.file("run")};
  REQUIRE(save_backup_record(state, *vm, entries));
  auto data = read_file(tmp.file("data.qcow2.vmforge-backups.json"));
  REQUIRE(data);
  CHECK(data->find("vm-root") == std::string::npos);
  // Another state dir (after a reboot) reads the same backups.
  auto back = load_backup_record(StateDir{tmp.file("elsewhere")}, *vm);
  REQUIRE(back);
  CHECK(*back == entries);
}

TEST_CASE("retention removes the oldest backup sets, never an image a kept incremental builds on", "[backup]") {
  auto entry = [](std::string id, bool incremental, std::vector<std::string> disks) {
    BackupEntry e{id, incremental, {}};
    for (const std::string& d : disks) e.disks.push_back({d, "/b/" + d + "-" + id + ".qcow2", 1});
    return e;
  };
  auto ids = [](const std::vector<BackupEntry>& entries) {
    std::string out;
    for (const BackupEntry& e : entries) out += e.id + " ";
    return out;
  };
  // Three sets: F1 I1 | F2 I2 I3 | F3.
  const std::vector<BackupEntry> all{entry("F1", false, {"data", "root"}), entry("I1", true, {"data", "root"}),
                                     entry("F2", false, {"data", "root"}), entry("I2", true, {"data", "root"}),
                                     entry("I3", true, {"data", "root"}),  entry("F3", false, {"data", "root"})};
  auto entries = all;
  CHECK(expire_backups(entries, 3).empty());
  CHECK(entries == all);
  auto expired = expire_backups(entries, 2);
  CHECK(ids(expired) == "F1 I1 ");
  CHECK(ids(entries) == "F2 I2 I3 F3 ");
  expired = expire_backups(entries, 1);
  CHECK(ids(expired) == "F2 I2 I3 ");
  CHECK(ids(entries) == "F3 ");

  // I2's image of 'root' builds on F1's (F2 has none of 'root'): F1's set stays, though only one
  // set is to be kept.
  std::vector<BackupEntry> partial{entry("F1", false, {"data", "root"}), entry("F2", false, {"data"}),
                                   entry("I2", true, {"data", "root"})};
  expired = expire_backups(partial, 1);
  CHECK(expired.empty());
  CHECK(partial.size() == 3);
}
