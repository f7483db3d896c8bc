// restart_keys(): which argv-only differences between two manifests need a restart, and which
// differences it leaves to the live diff or ignores.
#include <catch2/catch.hpp>

#include "compiler/diff/restart_keys.hpp"
#include "compiler/validate/load_and_validate.hpp"

using namespace vmforge;

namespace {

constexpr std::string_view kBase =
    "name = \"web\"\n[machine]\ntype = \"q35\"\nhotplug_slots = 2\n[cpu]\ncount = 1\nmax = 2\n"
    "[memory]\nsize = \"512M\"\nmax = \"1G\"\nslots = 1\n"
    "[kernel]\npath = \"/boot/vmlinuz\"\ncmdline = \"console=ttyS0\"\n";

Vm valid(std::string_view text) {
  auto vm = validate_text(text, "/srv/vms/web.toml");
  if (!vm) FAIL(vm.error().render(text));
  return std::move(vm).value();
}

// The keys restart_keys() reports for kBase + `extra_old` -> kBase (edited) + `extra_new`.
std::vector<RestartKey> keys(std::string_view old_text, std::string_view new_text) {
  return restart_keys(valid(old_text), valid(new_text));
}

// The one key restart_keys() reports; fails the test case when there is not exactly one.
RestartKey only_key(std::string_view old_text, std::string_view new_text) {
  auto k = keys(old_text, new_text);
  REQUIRE(k.size() == 1);
  return k[0];
}

std::string with(std::string_view extra) { return std::string(kBase) + std::string(extra); }

std::string replaced(std::string_view from, std::string_view to) {
  std::string text(kBase);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the same manifest needs no restart", "[compiler][diff]") { CHECK(keys(kBase, kBase).empty()); }

TEST_CASE("machine type, CPU max and boot memory name their key as check does, reason and values", "[compiler][diff]") {
  RestartKey k = only_key(kBase, replaced("type = \"q35\"\nhotplug_slots = 2", "type = \"pc\""));
  CHECK(k.key == "[machine] 'type'");
  CHECK(k.detail == "'q35' -> 'pc'");
  CHECK(k.reason == "the machine type is fixed when QEMU starts");

  k = only_key(kBase, replaced("max = 2", "max = 4"));
  CHECK(k.key == "[cpu] 'max'");
  CHECK(k.detail == "2 -> 4");

  k = only_key(kBase, replaced("size = \"512M\"", "size = \"768M\""));
  CHECK(k.key == "[memory] 'size'");
  CHECK(k.detail == "512M -> 768M");

  k = only_key(kBase, replaced("console=ttyS0", "console=ttyS0 quiet"));
  CHECK(k.key == "[kernel]");
  CHECK(k.detail == "changed");
}

TEST_CASE("what the live diff handles or nothing needs is not a restart key", "[compiler][diff]") {
  // CPU count (hotplug), spare hotplug slots (next start), supervisor settings.
  CHECK(keys(kBase, replaced("count = 1", "count = 2")).empty());
  CHECK(keys(kBase, replaced("hotplug_slots = 2", "hotplug_slots = 4")).empty());
  CHECK(keys(kBase, with("[supervisor]\nshutdown_timeout = \"5s\"\n")).empty());
  CHECK(keys(kBase, with("[supervisor]\nautostart = true\n")).empty());
  // Devices with a live path: disks, NICs, DIMMs, the balloon target.
  CHECK(keys(kBase, with("[[disk]]\nid = \"d1\"\nfile = \"/srv/d1.raw\"\nhotplug = true\n")).empty());
  CHECK(keys(kBase, with("[[dimm]]\nid = \"m1\"\nsize = \"256M\"\nhotplug = true\n")).empty());
  CHECK(keys(with("[[balloon]]\nid = \"b\"\n"), with("[[balloon]]\nid = \"b\"\ntarget = \"256M\"\n")).empty());
}

TEST_CASE("argv-only devices are keyed by id: added, removed, changed", "[compiler][diff]") {
  const std::string rng = "[[rng]]\nid = \"rng0\"\n";
  RestartKey k = only_key(kBase, with(rng));
  CHECK(k.key == "rng 'rng0'");
  CHECK(k.detail == "added");
  CHECK(k.reason == "vmforge does not hot-plug this kind of device");

  k = only_key(with(rng), kBase);
  CHECK(k.detail == "removed");

  k = only_key(with(rng), with(rng + "max_bytes = 1024\nperiod_ms = 1000\n"));
  CHECK(k.detail == "changed");
}

TEST_CASE("controllers and the balloon count only when a setting of the argv one changes", "[compiler][diff]") {
  // Adding or removing a controller is the live diff's (add, or restart for hotplug = false).
  CHECK(keys(kBase, with("[[scsi_controller]]\nid = \"scsi0\"\n")).empty());
  RestartKey k = only_key(with("[[scsi_controller]]\nid = \"scsi0\"\n"),
                          with("[[scsi_controller]]\nid = \"scsi0\"\nnum_queues = 2\n"));
  CHECK(k.key == "scsi_controller 'scsi0'");

  k = only_key(with("[[balloon]]\nid = \"b\"\ntarget = \"256M\"\n"),
               with("[[balloon]]\nid = \"b\"\ntarget = \"128M\"\ndeflate_on_oom = true\n"));
  CHECK(k.key == "balloon 'b'");
  CHECK(k.detail == "changed");
}
