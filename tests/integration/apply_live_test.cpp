// Plan and apply against a running test guest under `vmforge run`: every live resource kind
// added and removed (the guest's serial report shows it), balloon target and cdrom medium
// changed in place, undo of a failed apply, a change made behind vmforge's back repaired,
// SIGKILL of the supervisor mid-apply, and 100 applies.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "tests/integration/live_vm.hpp"
#include "tests/supervisor/cloudinit/seed_files.hpp"
#include "tests/support/disk_image.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::has;
using test::LiveVm;

namespace {

std::string disk(std::string_view id, std::string_view file, std::string_view extra = "") {
  return fmt::format("[[disk]]\nid = \"{}\"\nfile = \"{}\"\nhotplug = true\n{}", id, file, extra);
}

std::string nic(std::string_view id, std::string_view mac) {
  return fmt::format("[[net]]\nid = \"{}\"\nbackend = \"user\"\nmac = \"{}\"\nhotplug = true\n", id, mac);
}

// Applies `bad`, which must fail and leave the VM as manifest `before` describes it: the
// output says so after observing again, QEMU keeps the same block nodes, plan shows nothing.
// Returns the output.
std::string apply_fails_as_it_was(LiveVm& vm, const std::string& bad, const std::string& before) {
  const std::string nodes_before = vm.block_nodes();
  CliResult apply = vm.cli({"apply", bad});
  INFO(apply.out << apply.err << vm.log());
  CHECK(apply.status == 1);
  CHECK(apply.out.find("the VM is as it was before the apply") != std::string::npos);
  CHECK(vm.block_nodes() == nodes_before);
  CHECK(vm.cli({"plan", before}).status == 0);
  return apply.out;
}

}  // namespace

TEST_CASE("every live kind is added and removed, as plan says beforehand", "[qemu][apply]") {
  LiveVm vm;
  const std::string base = vm.manifest("base", "");
  const std::string full = vm.manifest(
      "full",
      disk("data1", vm.dir().file("d1.raw"), "serial = \"D1\"\n") + nic("eth1", "52:54:00:00:00:21") +
          "[[serial]]\nid = \"chan1\"\nbackend = \"file\"\npath = \"" + vm.dir().file("chan1.out") +
          "\"\nfrontend = \"virtserialport\"\ncontroller = \"vser0\"\nname = \"org.vmforge.t.0\"\nhotplug = true\n"
          "[[dimm]]\nid = \"mem1\"\nsize = \"256M\"\nhotplug = true\n",
      2, false);
  vm.boot(base);
  const auto memory_before = std::stoul(vm.report().values()["memtotal_kib"]);

  CliResult plan = vm.cli({"plan", full});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  for (std::string_view expected :
       {"+ disk:data1", "+ net:eth1", "+ channel:chan1", "+ dimm:mem1", "+ cpu:1", "~ net:eth0",
        R"(device_add {"driver":"virtio-blk-pci","id":"data1")", R"(set_link {"name":"eth0","up":false})",
        R"(device_add {"driver":"pc-dimm","id":"mem1")", "Plan: 5 to add, 1 to change"}) {
    CHECK(plan.out.find(expected) != std::string::npos);
  }

  CliResult apply = vm.cli({"apply", full});
  INFO(apply.out << apply.err << vm.log());
  REQUIRE(apply.status == 0);
  vm.wait_report("block.vda", [](std::string_view v) { return v.find("serial=D1") != std::string_view::npos; });
  vm.wait_report("net.eth1", [](std::string_view v) { return v.find("52:54:00:00:00:21") != std::string_view::npos; });
  vm.wait_report("net.eth0", [](std::string_view v) { return v.find("link=down") != std::string_view::npos; });
  vm.wait_report("ports", [](std::string_view v) { return has(v, "org.vmforge.t.0"); });
  vm.wait_report("cpus", [](std::string_view v) { return v == "2"; });
  vm.wait_report("memtotal_kib",
                 [&](std::string_view v) { return std::stoul(std::string(v)) > memory_before + 200000; });
  CHECK(vm.cli({"plan", full}).status == 0);

  // Fewer CPUs needs a restart (QEMU 7.2 aborts after a CPU unplug), so apply refuses it.
  plan = vm.cli({"plan", base});
  CHECK(plan.out.find("! cpu") != std::string::npos);
  const auto refused = vm.cli({"apply", base});
  CHECK(refused.status == 1);
  // The hint is the whole command to run, FILE included.
  CHECK((refused.out + refused.err).find("run: vmforge apply --allow-restart " + base + "\n") != std::string::npos);
  // Back down, CPUs kept: the disk, NIC, port and DIMM go after DEVICE_DELETED.
  const std::string down = vm.manifest("down", "", 2);
  plan = vm.cli({"plan", down});
  CHECK(plan.out.find("waits for DEVICE_DELETED of 'data1'") != std::string::npos);
  apply = vm.cli({"apply", down});
  INFO(apply.out << apply.err);
  REQUIRE(apply.status == 0);
  vm.wait_report("blocks", [](std::string_view v) { return !has(v, "vda"); });
  vm.wait_report("nets", [](std::string_view v) { return !has(v, "eth1"); });
  vm.wait_report("net.eth0", [](std::string_view v) { return v.find("link=up") != std::string_view::npos; });
  vm.wait_report("ports", [](std::string_view v) { return !has(v, "org.vmforge.t.0"); });
  vm.wait_report("memtotal_kib",
                 [&](std::string_view v) { return std::stoul(std::string(v)) < memory_before + 100000; });
  CHECK(vm.block_nodes().find("data1") == std::string::npos);
  CHECK(vm.cli({"plan", down}).status == 0);
}

TEST_CASE("the balloon target and a cdrom medium change in place", "[qemu][apply]") {
  LiveVm vm;
  auto iso = [&](std::string_view name, std::string_view user_data) {
    return test::write_seed_file(vm.dir(), std::string(name), CloudInitFormat::config_2,
                                 cloudinit::SeedContent{std::string(user_data), "{}", std::nullopt});
  };
  auto with_media = [&](std::string_view name, const std::string& file, std::string_view balloon) {
    return vm.manifest(name, fmt::format("[[scsi_controller]]\nid = \"scsi0\"\n[[disk]]\nid = \"cd0\"\nfile = \"{}\"\n"
                                         "media = \"cdrom\"\nbus = \"scsi\"\ncontroller = \"scsi0\"\n"
                                         "[[balloon]]\nid = \"bal0\"\n{}",
                                         file, balloon));
  };
  const std::string base = with_media("base", iso("a.iso", "first medium\n"), "");
  const std::string small = with_media("small", iso("b.iso", "second medium\n"), "target = \"256M\"\n");
  vm.boot(base);
  vm.wait_report("seed.sr0.user-data", [](std::string_view v) { return v == "first medium\\n"; });
  // A new medium that cannot be opened: the old one (from the argv, in a boot-time fd set) was
  // already taken out, and comes back from a set of its own.
  const std::string gone = with_media("gone", vm.dir().file("missing.iso"), "");
  CHECK(apply_fails_as_it_was(vm, gone, base).find("(disk:cd0: add-fd) failed") != std::string::npos);
  vm.wait_report("seed.sr0.user-data", [](std::string_view v) { return v == "first medium\\n"; });
  const auto memory_before = std::stoul(vm.report().values()["memtotal_kib"]);

  CliResult plan = vm.cli({"plan", small});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  for (std::string_view expected : {"~ disk:cd0", "~ balloon:bal0", R"(blockdev-open-tray {"id":"cd0","force":true})",
                                    R"(balloon {"value":268435456})", "Plan: 0 to add, 2 to change"}) {
    CHECK(plan.out.find(expected) != std::string::npos);
  }
  CliResult apply = vm.cli({"apply", small});
  INFO(apply.out << apply.err << vm.log());
  REQUIRE(apply.status == 0);
  vm.wait_report("seed.sr0.user-data", [](std::string_view v) { return v == "second medium\\n"; });
  vm.wait_report("memtotal_kib",
                 [&](std::string_view v) { return std::stoul(std::string(v)) + 200000 < memory_before; });
  // QEMU reports the balloon's new size once the guest has filled it: then nothing is left to do.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (vm.cli({"plan", small}).status != 0 && std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(vm.cli({"plan", small}).status == 0);

  // Back: the old medium, and no target (the balloon empties, the guest has all its RAM).
  apply = vm.cli({"apply", base});
  INFO(apply.out << apply.err);
  REQUIRE(apply.status == 0);
  vm.wait_report("seed.sr0.user-data", [](std::string_view v) { return v == "first medium\\n"; });
  vm.wait_report("memtotal_kib",
                 [&](std::string_view v) { return std::stoul(std::string(v)) + 20000 > memory_before; });
}

TEST_CASE("a failed step undoes the ones before it and the VM stays as it was", "[qemu][apply]") {
  LiveVm vm;
  const std::string base = vm.manifest("base", "");
  // data1's three steps succeed; data2's file does not exist, so its blockdev-add fails.
  const std::string bad =
      vm.manifest("bad", disk("data1", vm.dir().file("d1.raw")) + disk("data2", vm.dir().file("missing.raw")));
  vm.boot(base);
  CHECK(apply_fails_as_it_was(vm, bad, base).find("failed") != std::string::npos);
}

// D3: an apply that drops disk data1 and NIC eth1 and adds a disk whose file does not exist
// removed both before failing. Additions now run first, so the guest never loses them.
TEST_CASE("a failed addition removes nothing: the guest keeps its disk and NIC", "[qemu][apply]") {
  LiveVm vm;
  const std::string with = vm.manifest(
      "with", disk("data1", vm.dir().file("d1.raw"), "serial = \"D1\"\n") + nic("eth1", "52:54:00:00:00:21"));
  const std::string bad = vm.manifest("bad", disk("x1", vm.dir().file("missing.raw")));
  vm.boot(vm.manifest("base", ""));
  vm.apply(with);
  vm.wait_report("block.vda", [](std::string_view v) { return v.find("serial=D1") != std::string_view::npos; });
  vm.wait_report("nets", [](std::string_view v) { return has(v, "eth1"); });

  CHECK(apply_fails_as_it_was(vm, bad, with).find("(disk:x1: add-fd) failed") != std::string::npos);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vda"); });
  vm.wait_report("nets", [](std::string_view v) { return has(v, "eth1"); });
}

// A removal that goes before the additions (a SCSI disk frees a unit an addition might use) is
// undone by plugging the disk back when an addition fails: the guest sees it again.
TEST_CASE("a removal undone after a failed addition plugs the device back", "[qemu][apply]") {
  LiveVm vm;
  const std::string scsi = "[[scsi_controller]]\nid = \"scsi0\"\n";
  const std::string with =
      vm.manifest("with", scsi + disk("s1", vm.dir().file("d1.raw"), "bus = \"scsi\"\ncontroller = \"scsi0\"\n"));
  const std::string bad = vm.manifest("bad", scsi + disk("x1", vm.dir().file("missing.raw")));
  vm.boot(vm.manifest("base", scsi));
  vm.apply(with);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "sda"); });

  CliResult plan = vm.cli({"plan", bad});
  INFO(plan.out);
  CHECK(plan.out.find("- disk:s1") < plan.out.find("+ disk:x1"));
  CHECK(apply_fails_as_it_was(vm, bad, with).find("Undid 4 earlier step(s)") != std::string::npos);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "sda"); });
}

// pc hot-plugs onto pci.0 itself. A disk added after a removal goes into a slot the running VM
// has free, not where a fresh start of the manifest would put it: there sits a disk plugged
// before the removal, and QEMU refused the device_add ("slot 3 function 0 not available").
TEST_CASE("pc: a disk added after a removal takes a free slot of pci.0", "[qemu][apply]") {
  LiveVm vm;
  vm.use_machine("pc");
  for (std::string_view name : {"d2.raw", "d3.raw"})
    REQUIRE(test::create_disk_image(vm.dir().file(name), "raw", 8 << 20));
  auto serial_disk = [&](std::string_view id, std::string_view serial) {
    return disk(id, vm.dir().file(fmt::format("{}.raw", id)), fmt::format("serial = \"{}\"\n", serial));
  };
  vm.boot(vm.manifest("both", serial_disk("d1", "D1") + serial_disk("d2", "D2")));
  vm.wait_report("block.vdb", [](std::string_view v) { return v.find("serial=D2") != std::string_view::npos; });
  vm.apply(vm.manifest("second", serial_disk("d2", "D2")));
  vm.wait_report("blocks", [](std::string_view v) { return !has(v, "vda"); });

  const std::string third = vm.manifest("third", serial_disk("d2", "D2") + serial_disk("d3", "D3"));
  CliResult plan = vm.cli({"plan", third});
  INFO(plan.out << plan.err);
  // vser0 and eth0 sit in slots 2 and 3, d1 sat in 4 and d2 in 5; a fresh start would put d3
  // in 5. The slot d1 freed is handed out last (the guest may still eject it once more).
  CHECK(plan.out.find("plugged into the free slot 0x06 of pci.0") != std::string::npos);
  vm.apply(third);
  vm.wait_report("block.vda", [](std::string_view v) { return v.find("serial=D3") != std::string_view::npos; });
  vm.wait_report("block.vdb", [](std::string_view v) { return v.find("serial=D2") != std::string_view::npos; });
  CHECK(vm.cli({"plan", third}).status == 0);
}

// D4: a stopped guest cannot release a device, so an unplug could only time out (and its undo
// too): such an apply is refused up front, with what to do.
TEST_CASE("an apply that unplugs is refused while the VM is stopped", "[qemu][apply]") {
  LiveVm vm;
  const std::string with = vm.manifest("with", disk("data1", vm.dir().file("d1.raw")));
  const std::string other = vm.manifest("other", nic("eth1", "52:54:00:00:00:21"));
  vm.boot(vm.manifest("base", ""));
  vm.apply(with);
  vm.qmp(R"({"execute":"stop"})");
  CliResult apply = vm.cli({"apply", other});
  INFO(apply.out << apply.err);
  CHECK(apply.status == 1);
  CHECK(apply.out.find("QEMU status 'paused'") != std::string::npos);
  CHECK(apply.out.find("unplug of 'disk:data1'") != std::string::npos);
  CHECK(apply.out.find(R"(vmforge qmp apt '{"execute":"cont"}')") != std::string::npos);
  vm.qmp(R"({"execute":"cont"})");
  CHECK(vm.cli({"plan", with}).status == 0);
  // Additions alone do not need the guest: they are applied while it is stopped.
  vm.qmp(R"({"execute":"stop"})");
  const std::string more =
      vm.manifest("more", disk("data1", vm.dir().file("d1.raw")) + nic("eth1", "52:54:00:00:00:21"));
  apply = vm.cli({"apply", more});
  INFO(apply.out << apply.err);
  CHECK(apply.status == 0);
  vm.qmp(R"({"execute":"cont"})");
  vm.wait_report("nets", [](std::string_view v) { return has(v, "eth1"); });
}

TEST_CASE("a device_del behind vmforge's back is seen by plan and repaired by apply", "[qemu][apply]") {
  LiveVm vm;
  const std::string with_disk = vm.manifest("with", disk("data1", vm.dir().file("d1.raw"), "serial = \"D1\"\n"));
  vm.boot(vm.manifest("base", ""));
  REQUIRE(vm.cli({"apply", with_disk}).status == 0);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vda"); });

  vm.qmp(R"({"execute":"device_del","arguments":{"id":"data1"}})");
  vm.wait_report("blocks", [](std::string_view v) { return !has(v, "vda"); });
  // The guest lets go before QEMU finishes the deletion: wait until QEMU has no data1.
  CliResult plan;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    plan = vm.cli({"plan", with_disk});
  } while (plan.status == 0 && std::chrono::steady_clock::now() < deadline);
  INFO(plan.out);
  CHECK(plan.status == 2);
  CHECK(plan.out.find("leaked backends") != std::string::npos);
  CHECK(plan.out.find("+ disk:data1") != std::string::npos);
  REQUIRE(vm.cli({"apply", with_disk}).status == 0);
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vda"); });
  CHECK(vm.cli({"plan", with_disk}).status == 0);
}

TEST_CASE("a supervisor killed mid-apply is adopted and converges", "[qemu][apply]") {
  LiveVm vm;
  std::string disks;
  for (int i = 0; i < 4; ++i) disks += disk(fmt::format("k{}", i), vm.dir().file("d1.raw"), "readonly = true\n");
  const std::string target = vm.manifest("target", disks + nic("eth1", "52:54:00:00:00:31"));
  vm.boot(vm.manifest("base", ""));

  launch::SpawnOptions options;
  options.argv = {std::getenv("VMFORGE_BINARY"), "apply", target, "--runtime-dir", vm.dir().file("rt")};
  auto apply = launch::spawn(options);
  REQUIRE(apply);
  // Kill as soon as the first device shows up in the guest: the apply is under way.
  vm.wait_report("blocks", [](std::string_view v) { return !v.empty(); });
  REQUIRE(vm.supervisor().signal(SIGKILL));
  REQUIRE(vm.supervisor().wait(10s));
  vm.forget_supervisor();
  (void)apply->wait(10s);

  vm.start(target);  // adopts the live QEMU and reconciles with `target`
  vm.wait_report("nets", [](std::string_view v) { return has(v, "eth1"); });
  vm.wait_report("blocks", [](std::string_view v) { return has(v, "vdd"); });
  CHECK(vm.cli({"plan", target}).status == 0);
  // Every block node belongs to a device: k0..k3, two nodes each.
  CHECK(vm.block_nodes() == "k0.file,k0.fmt,k1.file,k1.fmt,k2.file,k2.fmt,k3.file,k3.fmt");
}

namespace {

std::uint64_t private_dirty_kib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/smaps_rollup", pid));
  std::string key;
  std::uint64_t value = 0;
  while (in >> key) {
    if (key == "Private_Dirty:") {
      in >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("100 applies alternating two manifests: no failure, flat memory", "[qemu][apply]") {
  LiveVm vm;
  std::string extra;
  for (int i = 0; i < 4; ++i) extra += disk(fmt::format("r{}", i), vm.dir().file("d1.raw"), "readonly = true\n");
  extra += nic("eth1", "52:54:00:00:00:41") + nic("eth2", "52:54:00:00:00:42");
  const std::string small = vm.manifest("small", "");
  const std::string big = vm.manifest("big", extra);
  vm.boot(small);
  std::uint64_t after_warmup = 0;
  for (int i = 0; i < 100; ++i) {
    CliResult r = vm.cli({"apply", i % 2 == 0 ? big : small});
    INFO("apply " << i << "\n" << r.out << r.err << vm.log());
    REQUIRE(r.status == 0);
    if (i == 9) after_warmup = private_dirty_kib(vm.supervisor().pid());
  }
  const std::uint64_t at_end = private_dirty_kib(vm.supervisor().pid());
  INFO("supervisor Private_Dirty after 10 applies: " << after_warmup << " KiB, after 100: " << at_end << " KiB");
  CHECK(at_end <= after_warmup + 256);
  // The guest is still healthy: it sees the last manifest (small: no extra disks or NICs).
  vm.wait_report("nets", [](std::string_view v) { return v == "eth0"; });
  CHECK(vm.cli({"plan", small}).status == 0);
}
