// Block lowering: two named nodes and a frontend per disk, the same JSON in argv and plan,
// cache modes, bus kinds, root ports for hot disks, and the plug/unplug step order.
#include <catch2/catch.hpp>

#include "compiler/lower/context.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/lower/snapshot.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

namespace {

Disk disk(std::string id, std::string file) {
  Disk d;
  d.id = DeviceId(std::move(id));
  d.file = std::move(file);
  return d;
}

}  // namespace

TEST_CASE("a cold disk is a file node, a format node and a device on pcie.0", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("root", "/var/lib/a,b.qcow2");
  d.format = DiskFormat::qcow2;
  d.serial = "S,1";
  d.boot_index = 1;
  vm.disks = {d};
  const auto argv = lowered(vm).argv;
  CHECK(
      values_of(argv, "-blockdev") ==
      std::vector<std::string>{R"({"driver":"file","node-name":"root.file","filename":"/dev/fdset/4","aio":"threads"})",
                               R"({"driver":"qcow2","node-name":"root.fmt","file":"root.file","backing":null})"});
  CHECK(values_of(argv, "-device") ==
        std::vector<std::string>{R"({"driver":"virtio-blk-pci","id":"root","bus":"pcie.0","addr":"0x01.0x0",)"
                                 R"("drive":"root.fmt","serial":"S,1","bootindex":1})"});
}

TEST_CASE("cache modes become cache.direct/no-flush and write-cache", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("d", "/d.img");
  d.cache = DiskCache::directsync;
  d.aio = DiskAio::native;
  d.readonly = true;
  d.discard = true;
  vm.disks = {d};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-blockdev")[0] ==
        R"({"driver":"file","node-name":"d.file","filename":"/dev/fdset/4","aio":"native",)"
        R"("cache":{"direct":true,"no-flush":false},"read-only":true,"discard":"unmap"})");
  CHECK(value_with(argv, "-device", "virtio-blk").find(R"("write-cache":"off")") != std::string::npos);
  vm.disks[0].cache = DiskCache::unsafe;
  vm.disks[0].write_cache = true;
  const auto unsafe = lowered(vm).argv;
  CHECK(values_of(unsafe, "-blockdev")[1].find(R"("cache":{"direct":false,"no-flush":true})") != std::string::npos);
  CHECK(value_with(unsafe, "-device", "virtio-blk").find(R"("write-cache":"on")") != std::string::npos);
}

TEST_CASE("host block devices use host_device and host_cdrom", "[compiler]") {
  Vm vm = small_vm();
  Disk cd = disk("cd", "/dev/sr0");
  cd.media = DiskMedia::cdrom;
  cd.bus = DiskBus::ide;
  vm.disks = {disk("blk", "/dev/vdb"), cd};
  const auto argv = lowered(vm).argv;
  CHECK(value_with(argv, "-blockdev", R"("node-name":"blk.file")").find(R"("driver":"host_device")") !=
        std::string::npos);
  CHECK(value_with(argv, "-blockdev", R"("node-name":"cd.file")").find(R"("driver":"host_cdrom")") !=
        std::string::npos);
  CHECK(value_with(argv, "-device", "\"cd\"") == R"({"driver":"ide-cd","id":"cd","drive":"cd.fmt"})");
}

TEST_CASE("scsi disks sit on their controller's bus", "[compiler]") {
  Vm vm = small_vm();
  ScsiController c;
  c.id = DeviceId("scsi0");
  c.iothread = DeviceId("io0");
  c.num_queues = 2;
  vm.scsi_controllers = {c};
  Disk d = disk("sd0", "/sd0.img");
  d.bus = DiskBus::scsi;
  d.controller = DeviceId("scsi0");
  d.lun = 3;
  vm.disks = {d};
  const auto argv = lowered(vm).argv;
  CHECK(
      values_of(argv, "-device") ==
      std::vector<std::string>{
          R"({"driver":"virtio-scsi-pci","id":"scsi0","bus":"pcie.0","addr":"0x01.0x0","iothread":"io0","num_queues":2})",
          R"({"driver":"scsi-hd","id":"sd0","bus":"scsi0.0","lun":3,"drive":"sd0.fmt"})"});
}

TEST_CASE("a hot disk is left out of the argv and plugged onto its own root port", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.hotplug_slots = 2;
  Disk hot = disk("data1", "/data1.raw");
  hot.hotplug = true;
  hot.share_rw = true;
  vm.disks = {disk("root", "/root.raw"), hot};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-blockdev").size() == 2);
  // 1 port for data1 + 2 reserved, packed in slot 2 after root's slot 1.
  const auto devices = values_of(plan.argv, "-device");
  REQUIRE(devices.size() == 4);
  CHECK(
      devices[0] ==
      R"({"driver":"pcie-root-port","id":"vmforge-rp0","bus":"pcie.0","addr":"0x02.0x0","multifunction":true,"chassis":1,"slot":1})");
  CHECK(devices[2] ==
        R"({"driver":"pcie-root-port","id":"vmforge-rp2","bus":"pcie.0","addr":"0x02.0x2","chassis":1,"slot":3})");
  // The image goes to QEMU as an fd set (add-fd carries the fd the supervisor opened).
  const std::string fdset = hot_fdset_path("disk:data1\n/data1.raw");
  REQUIRE(plan.steps.size() == 4);
  CHECK(plan.steps[0].resource == "disk:data1");
  CHECK(plan.steps[0].call.command == "add-fd");
  REQUIRE(plan.steps[0].call.file);
  CHECK(plan.steps[0].call.file->path == "/data1.raw");
  CHECK(plan.steps[0].undo->command == "remove-fd");
  CHECK(plan.steps[1].call.command == "blockdev-add");
  CHECK(plan.steps[1].call.arguments ==
        R"({"driver":"file","node-name":"data1.file","filename":")" + fdset + R"(","aio":"threads"})");
  CHECK(plan.steps[1].undo->command == "blockdev-del");
  CHECK(plan.steps[1].undo->arguments == R"({"node-name":"data1.file"})");
  CHECK(plan.steps[2].undo->arguments == R"({"node-name":"data1.fmt"})");
  CHECK(plan.steps[3].call.command == "device_add");
  CHECK(plan.steps[3].call.arguments ==
        R"({"driver":"virtio-blk-pci","id":"data1","bus":"vmforge-rp0","drive":"data1.fmt","share-rw":true})");
  CHECK(plan.steps[3].undo->command == "device_del");
  CHECK(plan.steps[3].undo->completion.event == "DEVICE_DELETED");

  auto same = plug_steps(vm, "disk:data1");
  REQUIRE(same);
  REQUIRE(same->size() == 4);
  CHECK(render_step_json((*same)[3]) == render_step_json(plan.steps[3]));
}

TEST_CASE("unplugging a disk waits for DEVICE_DELETED, then removes format and file nodes", "[compiler]") {
  Vm vm = small_vm();
  Disk hot = disk("data1", "/data1.raw");
  hot.hotplug = true;
  vm.disks = {hot};
  auto steps = unplug_steps(vm, "disk:data1");
  REQUIRE(steps);
  REQUIRE(steps->size() == 4);
  CHECK((*steps)[0].call.command == "device_del");
  CHECK((*steps)[0].call.completion.kind == Completion::Kind::event);
  CHECK((*steps)[0].call.completion.device_id == "data1");
  CHECK((*steps)[0].call.completion.timeout_ms > 0);
  CHECK((*steps)[1].call.arguments == R"({"node-name":"data1.fmt"})");
  CHECK((*steps)[2].call.arguments == R"({"node-name":"data1.file"})");
  CHECK_FALSE((*steps)[2].undo);
  CHECK((*steps)[3].call.command == "remove-fd");
}

TEST_CASE("cold or unknown disks have no plug steps", "[compiler]") {
  Vm vm = small_vm();
  vm.disks = {disk("root", "/root.raw")};
  auto cold = plug_steps(vm, "disk:root");
  REQUIRE_FALSE(cold);
  CHECK(
      cold.error().message ==
      "'disk:root' has hotplug = false: it is part of the QEMU command line, so adding or removing it needs a restart");
  CHECK(unplug_steps(vm, "disk:nope").error().message == "'disk:nope' is not a hot-pluggable device of this manifest");
  CHECK_FALSE(plug_steps(vm, "disk"));
  CHECK_FALSE(plug_steps(vm, "gpu:root"));
}

TEST_CASE("pc hot-plugs disks onto pci.0 at a fixed slot", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.type = "pc";
  vm.machine.family = MachineFamily::pc;
  Disk hot = disk("data1", "/data1.raw");
  hot.hotplug = true;
  vm.disks = {disk("root", "/root.raw"), hot};
  const Plan plan = lowered(vm);
  CHECK(value_with(plan.argv, "-device", "root").find(R"("bus":"pci.0","addr":"0x02.0x0")") != std::string::npos);
  CHECK(plan.steps[3].call.arguments.find(R"("bus":"pci.0","addr":"0x03.0x0")") != std::string::npos);
}

TEST_CASE("microvm disks are virtio-mmio devices without a PCI address", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.type = "microvm";
  vm.machine.family = MachineFamily::microvm;
  Disk d = disk("root", "/root.raw");
  d.placement.transport = Transport::mmio;
  vm.disks = {d};
  CHECK(values_of(lowered(vm).argv, "-device") ==
        std::vector<std::string>{R"({"driver":"virtio-blk-device","id":"root","drive":"root.fmt"})"});
}

TEST_CASE("vhost-user blk gets a client chardev, hot ones over chardev-add", "[compiler]") {
  Vm vm = small_vm();
  VhostUser cold;
  cold.id = DeviceId("vub0");
  cold.socket = "/run/vub,0.sock";
  cold.num_queues = 2;
  VhostUser hot;
  hot.id = DeviceId("vus1");
  hot.kind = VhostUserKind::scsi;
  hot.socket = "/run/vus1.sock";
  hot.hotplug = true;
  vm.vhost_users = {cold, hot};
  const Plan plan = lowered(vm);
  CHECK(value_with(plan.argv, "-chardev", "vub0") == "socket,id=vub0.char,path=/run/vub,,0.sock");
  CHECK(
      value_with(plan.argv, "-device", "vub0") ==
      R"({"driver":"vhost-user-blk-pci","id":"vub0","bus":"pcie.0","addr":"0x01.0x0","chardev":"vub0.char","num-queues":2})");
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].call.command == "chardev-add");
  CHECK(
      plan.steps[0].call.arguments ==
      R"({"id":"vus1.char","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/vus1.sock"}},"server":false}}})");
  CHECK(plan.steps[1].call.arguments ==
        R"({"driver":"vhost-user-scsi-pci","id":"vus1","bus":"vmforge-rp0","chardev":"vus1.char"})");
}

TEST_CASE("a legacy-only virtio device keeps legacy mode on, also behind a root port", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("old", "/old.img");
  d.placement.disable_modern = true;
  d.hotplug = true;
  vm.disks = {d};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 4);
  CHECK(
      plan.steps[3].call.arguments ==
      R"({"driver":"virtio-blk-pci","id":"old","bus":"vmforge-rp0","disable-modern":true,"disable-legacy":"off","drive":"old.fmt"})");
}

// Snapshot layers come from the supervisor's chain record; the image headers never choose
// them: each layer's qcow2 node names the one below as its backing.
TEST_CASE("snapshot layers sit above the disk's own nodes, the device reads the top one", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("data", "/srv/data.img");
  d.layers = {{"/srv/data.img.a.qcow2", "data.s1"}, {"/srv/data.img.b.qcow2", "data.s2"}};
  vm.disks = {d};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-blockdev") ==
        std::vector<std::string>{
            R"({"driver":"file","node-name":"data.file","filename":"/dev/fdset/4","aio":"threads"})",
            R"({"driver":"raw","node-name":"data.fmt","file":"data.file"})",
            R"({"driver":"file","node-name":"data.s1-file","filename":"/dev/fdset/5","aio":"threads"})",
            R"({"driver":"qcow2","node-name":"data.s1","file":"data.s1-file","backing":"data.fmt"})",
            R"({"driver":"file","node-name":"data.s2-file","filename":"/dev/fdset/6","aio":"threads"})",
            R"({"driver":"qcow2","node-name":"data.s2","file":"data.s2-file","backing":"data.s1"})"});
  CHECK(value_with(plan.argv, "-device", "virtio-blk").find(R"("drive":"data.s2")") != std::string::npos);
  REQUIRE(plan.files.size() == 3);
  CHECK(plan.files[0].file.path == "/srv/data.img");
  CHECK(plan.files[0].file.open == FileOpen::read_write);  // a merge writes to it
  CHECK(plan.files[1].file.open == FileOpen::read_write);
  CHECK(plan.files[2].file.path == "/srv/data.img.b.qcow2");
  CHECK(plan.files[2].file.open == FileOpen::read_write);
}

TEST_CASE("a hot disk with snapshot layers is plugged bottom up and unplugged top down", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("data", "/srv/data.img");
  d.hotplug = true;
  d.layers = {{"/srv/data.img.a.qcow2", "data.s1"}};
  vm.disks = {d};
  auto plug = plug_steps(vm, "disk:data");
  REQUIRE(plug);
  REQUIRE(plug->size() == 7);
  CHECK((*plug)[3].call.file->path == "/srv/data.img.a.qcow2");
  CHECK((*plug)[5].call.arguments ==
        R"({"driver":"qcow2","node-name":"data.s1","file":"data.s1-file","backing":"data.fmt"})");
  CHECK((*plug)[6].call.arguments.find(R"("drive":"data.s1")") != std::string::npos);
  auto unplug = unplug_steps(vm, "disk:data");
  REQUIRE(unplug);
  REQUIRE(unplug->size() == 7);
  CHECK((*unplug)[1].call.arguments == R"({"node-name":"data.s1"})");
  CHECK((*unplug)[2].call.arguments == R"({"node-name":"data.s1-file"})");
  CHECK((*unplug)[3].call.command == "remove-fd");
  CHECK((*unplug)[4].call.arguments == R"({"node-name":"data.fmt"})");
}

TEST_CASE("a snapshot makes each overlay, adds it without a backing, then snapshots all at once", "[compiler]") {
  Vm vm = small_vm();
  Disk a = disk("a", "/srv/a.img");
  Disk b = disk("b", "/srv/b.qcow2");
  b.format = DiskFormat::qcow2;
  b.layers = {{"/srv/b.qcow2.old.qcow2", "b.s1"}};
  Disk cd = disk("cd", "/srv/cd.iso");
  cd.media = DiskMedia::cdrom;
  vm.disks = {a, b, cd};
  auto steps = snapshot_steps(vm, "s", {{a.id, {"/srv/a.img.s.qcow2", "a.s2"}}, {b.id, {"/srv/b.qcow2.s.qcow2", "b.s3"}}});
  REQUIRE(steps);
  REQUIRE(steps->size() == 7);
  const PlanStep& make = (*steps)[0];
  CHECK(make.call.command == "add-fd");
  REQUIRE(make.call.file);
  CHECK(make.call.file->path == "/srv/a.img.s.qcow2");
  CHECK(make.call.file->open == FileOpen::read_write);
  CHECK(make.call.file->create == ImageCreate{"qcow2", std::nullopt, "/srv/a.img", "raw"});
  CHECK((*steps)[1].call.arguments ==
        R"({"driver":"file","node-name":"a.s2-file","filename":")" + hot_fdset_path("disk:a\nlayer\n/srv/a.img.s.qcow2") +
            R"(","aio":"threads"})");
  CHECK((*steps)[2].call.arguments == R"({"driver":"qcow2","node-name":"a.s2","file":"a.s2-file","backing":null})");
  CHECK((*steps)[2].undo->command == "blockdev-del");
  // The overlay of a layered disk has the size of its top layer.
  CHECK((*steps)[3].call.file->create == ImageCreate{"qcow2", std::nullopt, "/srv/b.qcow2.old.qcow2", "qcow2"});
  const PlanStep& snapshot = (*steps)[6];
  CHECK(snapshot.resource == "snapshot:s");
  CHECK(snapshot.call.arguments ==
        R"({"actions":[{"type":"blockdev-snapshot","data":{"node":"a.fmt","overlay":"a.s2"}},)"
        R"({"type":"blockdev-snapshot","data":{"node":"b.s1","overlay":"b.s3"}}]})");
  CHECK_FALSE(snapshot.undo);

  CHECK(snapshot_steps(vm, "s", {{cd.id, {"/x", "cd.s4"}}}).error().message ==
        "Disk 'cd' is read-only: it has nothing to snapshot.");
  CHECK(snapshot_steps(vm, "s", {{DeviceId("nope"), {"/x", "nope.s4"}}}).error().message == "There is no disk 'nope'.");
}

TEST_CASE("deleting a snapshot merges its layer into the node below, then deletes the layer's nodes", "[compiler]") {
  Vm vm = small_vm();
  Disk d = disk("data", "/srv/data.img");
  d.layers = {{"/srv/a.qcow2", "data.s1"}, {"/srv/b.qcow2", "data.s2"}};
  vm.disks = {d};
  auto lower = merge_steps(vm, "a", d.id, 0);
  REQUIRE(lower);
  REQUIRE(lower->size() == 3);
  CHECK((*lower)[0].resource == "snapshot:a");
  CHECK((*lower)[0].call.arguments ==
        R"({"job-id":"data.merge","device":"data.s2","top-node":"data.s1","base-node":"data.fmt"})");
  CHECK((*lower)[0].call.completion.event == "BLOCK_JOB_COMPLETED");
  CHECK((*lower)[1].call.arguments == R"({"node-name":"data.s1"})");
  CHECK((*lower)[2].call.arguments == R"({"node-name":"data.s1-file"})");
  // The active layer: the job is completed, then the guest writes to the node below.
  auto top = merge_steps(vm, "b", d.id, 1);
  REQUIRE(top);
  REQUIRE(top->size() == 4);
  CHECK((*top)[0].call.arguments ==
        R"({"job-id":"data.merge","device":"data.s2","top-node":"data.s2","base-node":"data.s1"})");
  CHECK((*top)[0].call.completion.event == "BLOCK_JOB_READY");
  CHECK((*top)[1].call.command == "job-complete");
  CHECK((*top)[2].call.arguments == R"({"node-name":"data.s2"})");
  CHECK(merge_steps(vm, "c", d.id, 2).error().message == "Disk 'data' has no snapshot layer 3.");
}
