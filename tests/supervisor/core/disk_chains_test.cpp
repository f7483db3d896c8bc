// The chain record: kept beside each disk's file, written and read back whole, refused when
// damaged, and given only to the disks whose file is the recorded base.
#include "supervisor/core/disk_chains.hpp"

#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;

namespace {

DiskChains two_snapshots(const std::string& dir = "/srv") {
  DiskChains chains;
  chains.next_node = 3;
  chains.snapshots = {{"before", "pre-upgrade", 1700000000}, {"after", "", 1700000100}};
  chains.disks = {{"data",
                   dir + "/data.img",
                   {{"before", dir + "/data.img.before.qcow2", "data.s1"}, {"after", dir + "/data.img.after.qcow2", "data.s2"}}}};
  return chains;
}

Vm vm_in(const std::string& dir) {
  auto vm = validate_text(fmt::format("name = \"t\"\n[[disk]]\nid = \"data\"\nfile = \"{0}/data.img\"\n"
                                      "[[disk]]\nid = \"other\"\nfile = \"{0}/other.img\"\n",
                                      dir),
                          "/m/t.toml");
  REQUIRE(vm);
  return std::move(*vm);
}

}  // namespace

TEST_CASE("the chain record is kept beside the disk's file and read back as it was written", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const StateDir state{tmp.file("run")};
  const Vm vm = vm_in(tmp.path());
  auto none = load_disk_chains(state, vm);
  REQUIRE(none);
  CHECK(*none == DiskChains{});
  REQUIRE(save_disk_chains(state, vm, two_snapshots(tmp.path())));
  const std::string record = tmp.file("data.img.vmforge-chain.json");
  struct stat st {};
  REQUIRE(stat(record.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK_FALSE(std::filesystem::exists(tmp.file("other.img.vmforge-chain.json")));
  // A new state dir (after a reboot, or on another host) finds the same record.
  auto back = load_disk_chains(StateDir{tmp.file("elsewhere")}, vm);
  REQUIRE(back);
  CHECK(*back == two_snapshots(tmp.path()));
  CHECK(back->snapshot("before")->label == "pre-upgrade");
  CHECK_FALSE(back->snapshot("nope"));
  // A chain without layers leaves no record.
  DiskChains merged = two_snapshots(tmp.path());
  merged.disks[0].layers.clear();
  merged.snapshots.clear();
  REQUIRE(save_disk_chains(state, vm, merged));
  CHECK_FALSE(std::filesystem::exists(record));
}

TEST_CASE("the state dir's record of an older vmforge is read, then moved beside the disks", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const StateDir state{tmp.path()};
  const Vm vm = vm_in(tmp.path());
  REQUIRE(write_file_atomic(state.disk_chains(), chains_to_json(two_snapshots(tmp.path()))));
  auto old = load_disk_chains(state, vm);
  REQUIRE(old);
  CHECK(*old == two_snapshots(tmp.path()));
  REQUIRE(save_disk_chains(state, vm, *old));
  CHECK_FALSE(std::filesystem::exists(state.disk_chains()));
  auto moved = load_disk_chains(state, vm);
  REQUIRE(moved);
  CHECK(*moved == two_snapshots(tmp.path()));
}

TEST_CASE("a damaged chain record is an error, never an empty chain", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const StateDir state{tmp.path()};
  Vm vm = vm_in(tmp.path());
  const std::string record = tmp.file("data.img.vmforge-chain.json");
  REQUIRE(write_file_atomic(record, R"({"next_node":1,"snapshots":[],"disks":[{"disk":"data"}]})"));
  auto damaged = load_disk_chains(state, vm);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().message.find("'base' is missing") != std::string::npos);
  CHECK(damaged.error().message.find(record) != std::string::npos);
  REQUIRE(write_file_atomic(record, "{"));
  CHECK_FALSE(load_disk_chains(state, vm));
  CHECK_FALSE(with_disk_chains(state, vm));
  // Fixed by hand, as the error asks, it is read again (a sound record is kept in memory).
  REQUIRE(write_file_atomic(record, chains_to_json(two_snapshots(tmp.path()))));
  auto fixed = load_disk_chains(state, vm);
  REQUIRE(fixed);
  CHECK(*fixed == two_snapshots(tmp.path()));
}

TEST_CASE("a disk gets the recorded layers only while its file is the recorded base", "[supervisor][snapshot]") {
  auto vm = validate_text("name = \"t\"\n[[disk]]\nid = \"data\"\nfile = \"/srv/data.img\"\n"
                          "[[disk]]\nid = \"other\"\nfile = \"/srv/other.img\"\n",
                          "/m/t.toml");
  REQUIRE(vm);
  use_disk_chains(two_snapshots(), *vm);
  CHECK(vm->disks[0].layers ==
        std::vector<DiskLayer>{{"/srv/data.img.before.qcow2", "data.s1"}, {"/srv/data.img.after.qcow2", "data.s2"}});
  CHECK(vm->disks[1].layers.empty());
  vm->disks[0].file = "/srv/new.img";
  use_disk_chains(two_snapshots(), *vm);
  CHECK(vm->disks[0].layers.empty());
}
