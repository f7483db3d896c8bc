// Golden diffs: for each tests/compiler/diff/golden/NAME.old.toml + NAME.new.toml, the plan text
// `vmforge plan NAME.new.toml --from NAME.old.toml` prints is NAME.plan, byte for byte.
// VMFORGE_UPDATE_GOLDEN=1 rewrites the .plan files (review the change before committing).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "compiler/diff/diff.hpp"
#include "compiler/diff/render.hpp"
#include "compiler/manifest/keys.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "tests/support/source_tree.hpp"

namespace fs = std::filesystem;
using namespace vmforge;

namespace {

fs::path golden_dir() { return test::source_path("tests/compiler/diff/golden"); }

Vm load(const fs::path& path) {
  auto vm = load_and_validate(path.string());
  if (!vm) FAIL(vm.error().render(test::file_text(path)));
  return std::move(*vm);
}

// The manifests of golden pair `stem`: STEM.old.toml and STEM.new.toml.
struct Pair {
  Vm old;
  Vm desired;
};
Pair load_pair(const std::string& stem) {
  return {load(golden_dir() / (stem + ".old.toml")), load(golden_dir() / (stem + ".new.toml"))};
}

// The diff to `desired` from `old` applied and observed exactly as it made its resources.
auto diff_from(const Vm& old, const Vm& desired) { return diff(desired, Current{resources_of(old), &old}); }

}  // namespace

TEST_CASE("every manifest pair diffs to its golden plan", "[compiler][diff]") {
  std::vector<fs::path> olds;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".old.toml")) olds.push_back(entry.path());
  }
  std::sort(olds.begin(), olds.end());
  REQUIRE(olds.size() >= 10);
  const bool update = std::getenv("VMFORGE_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& old_path : olds) {
    const std::string stem = old_path.filename().string().substr(0, old_path.filename().string().size() - 9);
    SECTION(stem) {
      const auto [old, desired] = load_pair(stem);
      auto planned = diff_from(old, desired);
      if (!planned) FAIL(planned.error().message);
      const std::string text = render_diff_text(*planned);
      const fs::path golden = golden_dir() / (stem + ".plan");
      if (update) std::ofstream(golden, std::ios::binary) << text;
      CHECK(text == test::file_text(golden));
    }
  }
}

TEST_CASE("a manifest diffed with itself has no changes", "[compiler][diff]") {
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    if (entry.path().extension() != ".toml") continue;
    const Vm vm = load(entry.path());
    auto planned = diff_from(vm, vm);
    if (!planned) FAIL(planned.error().message);
    INFO(entry.path().filename().string() << "\n" << render_diff_text(*planned));
    CHECK(planned->empty());
  }
}

// QEMU shows no settings: against an observed set the last applied manifest speaks for them,
// and a device that manifest does not describe is not compared on them at all.
TEST_CASE("settings QEMU does not show come from the applied manifest", "[compiler][diff]") {
  const auto [old, desired] = load_pair("unobserved-settings");
  const ResourceSet made = resources_of(old);
  ResourceSet observed;
  for (const Resource* r : made.all()) {
    Resource seen = *r;
    seen.settings.clear();
    observed.add(std::move(seen));
  }
  auto planned = diff(desired, Current{observed, &old});
  REQUIRE(planned);
  INFO(render_diff_text(*planned));
  std::map<std::string, Action> actions;
  for (const Change& c : planned->changes) actions[c.resource] = c.action;
  CHECK(actions == std::map<std::string, Action>{{"disk:data1", Action::replace},
                                                 {"net:eth1", Action::replace},
                                                 {"disk:root", Action::restart},
                                                 {"serial:ser0", Action::restart}});

  Vm without_data1 = old;
  std::erase_if(without_data1.disks, [](const Disk& d) { return d.id.str() == "data1"; });
  auto unknown = diff(desired, Current{observed, &without_data1});
  REQUIRE(unknown);
  for (const Change& c : unknown->changes) CHECK(c.resource != "disk:data1");
}

// `plan` shows a changed setting by its name: the manifest's spelling (`share_rw`), not QEMU's.
TEST_CASE("settings are named by manifest keys", "[compiler][diff]") {
  std::size_t seen = 0;
  for (const fs::path& dir : {test::source_path("examples"), golden_dir()}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".toml") continue;
      const ResourceSet resources = resources_of(load(entry.path()));
      for (const Resource* r : resources.all()) {
        for (const auto& [name, value] : r->settings) {
          INFO(entry.path().filename().string() << ": " << r->key() << " setting '" << name << "'");
          CHECK(std::any_of(manifest_tables().begin(), manifest_tables().end(),
                            [&](const TableSpec& table) { return table.find(name) != nullptr; }));
          ++seen;
        }
      }
    }
  }
  CHECK(seen > 0);
}

// D3: a failed apply must not lose what it removed. Additions run first; the removal of a
// device on a root port waits for them, and each of its steps is undone by the plug step it
// reverses (from the applied manifest), so an undone removal plugs the device back.
TEST_CASE("removals wait for the additions and are undone by plugging back", "[compiler][diff]") {
  const auto [old, desired] = load_pair("add-nic-remove-nic");
  auto planned = diff_from(old, desired);
  REQUIRE(planned);
  INFO(render_diff_text(*planned));
  REQUIRE(planned->changes.size() == 2);
  const Change& add = planned->changes[0];
  const Change& remove = planned->changes[1];
  CHECK(add.resource == "net:eth2");
  CHECK_FALSE(add.waits_for_earlier);
  CHECK(remove.resource == "net:eth1");
  CHECK(remove.waits_for_earlier);
  REQUIRE(remove.steps.size() == 2);
  REQUIRE(remove.steps[0].undo);
  CHECK(remove.steps[0].undo->command == "device_add");
  CHECK(remove.steps[0].undo->arguments.find(R"("id":"eth1")") != std::string::npos);
  REQUIRE(remove.steps[1].undo);
  CHECK(remove.steps[1].undo->command == "netdev_add");
  CHECK(remove.steps[1].undo->arguments.find(R"("id":"eth1.net")") != std::string::npos);

  // Seen on a root port (observed), the device is plugged back onto that port.
  ResourceSet observed = resources_of(old);
  observed.facts().device_ports["eth1"] = "vmforge-rp3";
  planned = diff(desired, Current{observed, &old});
  REQUIRE(planned);
  CHECK(planned->changes.at(1).steps.at(0).undo->arguments.find(R"("bus":"vmforge-rp3")") != std::string::npos);
}

// A removal that may free what an addition needs (here a DIMM slot) goes first, still undone
// by plugging back; the additions wait for it.
TEST_CASE("a removal that may free a slot goes before the additions, which wait for it", "[compiler][diff]") {
  const auto [old, desired] = load_pair("dimm-add-remove");
  auto planned = diff_from(old, desired);
  REQUIRE(planned);
  INFO(render_diff_text(*planned));
  REQUIRE(planned->changes.size() >= 2);
  CHECK(planned->changes[0].action == Action::remove);
  CHECK_FALSE(planned->changes[0].waits_for_earlier);
  CHECK(planned->changes[0].steps.at(0).undo->command == "device_add");
  CHECK(planned->changes[1].action == Action::add);
  CHECK(planned->changes[1].waits_for_earlier);
}

// The diff is pure but its input may come from QEMU: an id that is not a number is an error.
TEST_CASE("a CPU id that is not a slot number is an error, not a crash", "[compiler][diff]") {
  const Vm vm = load(golden_dir() / "cpu-up.old.toml");
  for (std::string_view odd : {"x", "", "1x", "-1", "99999999999999999999"}) {
    ResourceSet have = resources_of(vm);
    Resource cpu;
    cpu.kind = ResourceKind::cpu;
    cpu.id = std::string(odd);
    have.add(cpu);
    const Current current{have, &vm};
    REQUIRE_NOTHROW(diff(vm, current));
    auto planned = diff(vm, current);
    REQUIRE_FALSE(planned);
    CHECK(planned.error().message.find("is not a slot number") != std::string::npos);
  }
}

// A disk's size only grows: a manifest smaller than the image (as observed) is refused, with
// the sizes and what to do, and no change at all is planned.
TEST_CASE("a disk smaller than its image is refused", "[compiler][diff]") {
  const auto [small, big] = load_pair("disk-grow");
  auto planned = diff_from(big, small);
  REQUIRE_FALSE(planned);
  CHECK(planned.error().message ==
        "disk 'data': 'size' 8G is smaller than its image, 16G: vmforge never shrinks an image (whatever lies past "
        "the new end would be lost). Set 'size' to at least 16G, or shrink the image yourself with the VM stopped");

  // An image already bigger than the manifest's size (made by hand) is refused the same way,
  // while one exactly as big is no change.
  ResourceSet observed = resources_of(small);
  Resource disk = *observed.find("disk:data");
  disk.props["size"] = std::to_string((8ull << 30) + 512);
  observed.add(disk);
  CHECK_FALSE(diff(small, Current{observed, &small}));
  disk.props["size"] = std::to_string(8ull << 30);
  observed.add(disk);
  auto same = diff(small, Current{observed, &small});
  REQUIRE(same);
  CHECK(same->empty());
}

// A disk in a [[throttle_group]] shows the group's limits only on the group: the undo of its
// move puts it back in its old group with the limits that group's object has.
TEST_CASE("a disk moved to another group is undone into the old one, with its limits", "[compiler][diff]") {
  const auto [old, desired] = load_pair("io-limits-move");
  auto planned = diff_from(old, desired);
  if (!planned) FAIL(planned.error().message);
  auto moved = std::find_if(planned->changes.begin(), planned->changes.end(),
                            [](const Change& c) { return c.resource == "disk:a"; });
  REQUIRE(moved != planned->changes.end());
  REQUIRE(moved->steps.size() == 1);
  CHECK(moved->steps[0].call.arguments.find(R"("iops":1000,)") != std::string::npos);
  REQUIRE(moved->steps[0].undo);
  CHECK(moved->steps[0].undo->arguments.find(R"("iops":10,)") != std::string::npos);
  CHECK(moved->steps[0].undo->arguments.ends_with(R"(,"group":"slow"})"));
}

// The undo of a throttled hot disk's removal plugs it back with its limits: the lift before its
// device_del is undone by the throttle its plug steps end with.
TEST_CASE("an undone removal of a throttled disk throttles it again", "[compiler][diff]") {
  const Vm hot = load(golden_dir() / "io-limits-join.new.toml");
  Vm without = hot;
  std::erase_if(without.disks, [](const Disk& d) { return d.id.str() == "hot"; });
  auto planned = diff_from(hot, without);
  if (!planned) FAIL(planned.error().message);
  REQUIRE(planned->changes.size() == 1);
  const Change& removal = planned->changes[0];
  CHECK(removal.action == Action::remove);
  REQUIRE(removal.steps.size() >= 2);
  CHECK(removal.steps[0].call.command == "block_set_io_throttle");
  CHECK(removal.steps[0].call.arguments.find("group") == std::string::npos);
  REQUIRE(removal.steps[0].undo);
  CHECK(removal.steps[0].undo->arguments.find(R"("iops_rd":5,)") != std::string::npos);
  CHECK(removal.steps[0].undo->arguments.ends_with(R"(,"group":"hot.group"})"));
  CHECK(removal.steps[1].call.command == "device_del");
}
