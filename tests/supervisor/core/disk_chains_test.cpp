// The chain record: written and read back whole, refused when damaged, and given only to the
// disks whose file is the recorded base.
#include "supervisor/core/disk_chains.hpp"

#include <catch2/catch.hpp>

#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;

namespace {

DiskChains two_snapshots() {
  DiskChains chains;
  chains.next_node = 3;
  chains.snapshots = {{"before", "pre-upgrade", 1700000000}, {"after", "", 1700000100}};
  chains.disks = {{"data",
                   "/srv/data.img",
                   {{"before", "/srv/data.img.before.qcow2", "data.s1"}, {"after", "/srv/data.img.after.qcow2", "data.s2"}}}};
  return chains;
}

}  // namespace

TEST_CASE("the chain record is read back as it was written", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const StateDir state{tmp.path()};
  auto none = load_disk_chains(state);
  REQUIRE(none);
  CHECK(*none == DiskChains{});
  REQUIRE(save_disk_chains(state, two_snapshots()));
  auto back = load_disk_chains(state);
  REQUIRE(back);
  CHECK(*back == two_snapshots());
  CHECK(back->snapshot("before")->label == "pre-upgrade");
  CHECK_FALSE(back->snapshot("nope"));
}

TEST_CASE("a damaged chain record is an error, never an empty chain", "[supervisor][snapshot]") {
  auto tmp = test::temp_dir();
  const StateDir state{tmp.path()};
  REQUIRE(write_file_atomic(state.disk_chains(), R"({"next_node":1,"snapshots":[],"disks":[{"disk":"data"}]})"));
  auto damaged = load_disk_chains(state);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().message.find("'base' is missing") != std::string::npos);
  REQUIRE(write_file_atomic(state.disk_chains(), "{"));
  CHECK_FALSE(load_disk_chains(state));
  Vm vm;
  CHECK_FALSE(with_disk_chains(state, vm));
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
