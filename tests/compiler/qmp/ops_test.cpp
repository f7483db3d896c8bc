// Typed operations: the exact JSON each builder sends (QEMU 7.2 form: numbers as numbers,
// booleans as booleans, optional members left out) and the parsers on real 7.2 replies.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include "compiler/qmp/ops_backup.hpp"
#include "compiler/qmp/ops_block.hpp"
#include "compiler/qmp/ops_chardev.hpp"
#include "compiler/qmp/ops_cpu.hpp"
#include "compiler/qmp/ops_device.hpp"
#include "compiler/qmp/ops_fd.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "compiler/qmp/ops_memory.hpp"
#include "compiler/qmp/ops_migration.hpp"
#include "compiler/qmp/ops_net.hpp"

using namespace vmforge;
using namespace vmforge::qmp;

namespace {

std::string wire(const QmpCall& c) { return c.command + " " + c.arguments; }

JsonValue json(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE(v);
  return std::move(*v);
}

}  // namespace

TEST_CASE("lifecycle builders", "[qmp][ops]") {
  CHECK(wire(stop()) == "stop ");
  CHECK(wire(cont()) == "cont ");
  CHECK(wire(quit()) == "quit ");
  CHECK(wire(system_reset()) == "system_reset ");
  CHECK(system_powerdown().completion.kind == Completion::Kind::reply);
  CHECK(system_powerdown_until_shutdown().completion.kind == Completion::Kind::event);
  CHECK(system_powerdown_until_shutdown().completion.event == "SHUTDOWN");
  CHECK(wire(query_status()) == "query-status ");
  CHECK(wire(qom_get("/machine/peripheral/vd0", "serial")) ==
        R"(qom-get {"path":"/machine/peripheral/vd0","property":"serial"})");
  CHECK(wire(qom_set("/machine/peripheral/vm1", "requested-size", JsonValue(std::uint64_t{268435456}))) ==
        R"(qom-set {"path":"/machine/peripheral/vm1","property":"requested-size","value":268435456})");
  CHECK(wire(qom_list("/machine/peripheral")) == R"(qom-list {"path":"/machine/peripheral"})");
  CHECK(wire(dump_guest_memory({"file:/tmp/dump", false, "elf", false})) ==
        R"(dump-guest-memory {"protocol":"file:/tmp/dump","paging":false,"format":"elf"})");
  QmpCall detached = dump_guest_memory({"fd:dumpfd", true, "", true});
  CHECK(wire(detached) == R"(dump-guest-memory {"protocol":"fd:dumpfd","paging":true,"detach":true})");
  CHECK(detached.completion.event == "DUMP_COMPLETED");
}

TEST_CASE("block builders: a protocol node, a format node on it, a backing image", "[qmp][ops]") {
  BlockdevFile file;
  file.node_name = "d1.file";
  file.filename = "/img/a,b.raw";
  CHECK(wire(blockdev_add(file)) ==
        R"(blockdev-add {"driver":"file","node-name":"d1.file","filename":"/img/a,b.raw"})");
  file.driver = "host_device";
  file.aio = "threads";
  file.cache = {true, false};
  file.read_only = true;
  file.discard = true;
  CHECK(
      arguments(file) ==
      R"({"driver":"host_device","node-name":"d1.file","filename":"/img/a,b.raw","aio":"threads","cache":{"direct":true,"no-flush":false},"read-only":true,"discard":"unmap"})");

  BlockdevFormat raw{"raw", "d1.fmt", "d1.file", std::nullopt, {}, false, false};
  CHECK(wire(blockdev_add(raw)) == R"(blockdev-add {"driver":"raw","node-name":"d1.fmt","file":"d1.file"})");
  // A qcow2 node never follows its image header's backing file: null, or the named node.
  BlockdevFormat qcow{"qcow2", "d1.fmt", "d1.file", std::optional<std::string>(), {false, true}, false, false};
  CHECK(
      arguments(qcow) ==
      R"({"driver":"qcow2","node-name":"d1.fmt","file":"d1.file","backing":null,"cache":{"direct":false,"no-flush":true}})");
  qcow.backing = std::optional<std::string>("d1.backing");
  qcow.cache = {};
  qcow.read_only = true;
  CHECK(arguments(qcow) ==
        R"({"driver":"qcow2","node-name":"d1.fmt","file":"d1.file","backing":"d1.backing","read-only":true})");
  CHECK(
      wire(blockdev_add(BlockdevBacking{"qcow2", "d1.backing", "d1.backing-file", true})) ==
      R"(blockdev-add {"driver":"qcow2","node-name":"d1.backing","file":"d1.backing-file","read-only":true,"backing":null})");
  CHECK(arguments(BlockdevBacking{"raw", "d1.backing", "d1.backing-file", false}) ==
        R"({"driver":"raw","node-name":"d1.backing","file":"d1.backing-file","read-only":true})");
  CHECK(wire(blockdev_del("d1.fmt")) == R"(blockdev-del {"node-name":"d1.fmt"})");
  CHECK(wire(block_resize("d1.fmt", 17179869184u)) == R"(block_resize {"node-name":"d1.fmt","size":17179869184})");
  CHECK(wire(snapshot_transaction({{"d1.fmt", "d1.s1"}, {"d2.s1", "d2.s2"}})) ==
        R"(transaction {"actions":[{"type":"blockdev-snapshot","data":{"node":"d1.fmt","overlay":"d1.s1"}},)"
        R"({"type":"blockdev-snapshot","data":{"node":"d2.s1","overlay":"d2.s2"}}]})");
  const QmpCall active = block_commit({"d1.merge", "d1.limits", "d1.s2", "d1.s1", true});
  CHECK(wire(active) ==
        R"(block-commit {"job-id":"d1.merge","device":"d1.limits","top-node":"d1.s2","base-node":"d1.s1"})");
  CHECK(active.completion.event == "BLOCK_JOB_READY");
  CHECK(active.completion.device_id == "d1.merge");
  CHECK(block_commit({"d1.merge", "d1.s2", "d1.s1", "d1.fmt", false}).completion.event == "BLOCK_JOB_COMPLETED");
  const QmpCall complete = job_complete("d1.merge");
  CHECK(wire(complete) == R"(job-complete {"id":"d1.merge"})");
  CHECK(complete.completion.event == "BLOCK_JOB_COMPLETED");
}

TEST_CASE("disk device, SCSI controller and media builders", "[qmp][ops]") {
  BlockDeviceAdd disk;
  disk.id = "vd1";
  disk.drive = "d1.fmt";
  disk.placement.bus = "rp1";
  CHECK(wire(device_add(disk)) == R"(device_add {"driver":"virtio-blk-pci","id":"vd1","bus":"rp1","drive":"d1.fmt"})");
  disk.placement.addr = "0x1.0x0";
  disk.placement.disable_modern = true;
  disk.placement.romfile = "";
  disk.iothread = "io0";
  disk.num_queues = 4;
  disk.config_wce = false;
  disk.serial = "S1";
  disk.write_cache = false;
  disk.share_rw = true;
  disk.boot_index = 2;
  CHECK(
      wire(device_add(disk)) ==
      R"(device_add {"driver":"virtio-blk-pci","id":"vd1","bus":"rp1","addr":"0x1.0x0","disable-modern":true,"disable-legacy":"off","romfile":"","drive":"d1.fmt","iothread":"io0","num-queues":4,"config-wce":false,"serial":"S1","write-cache":"off","share-rw":true,"bootindex":2})");

  BlockDeviceAdd scsi;
  scsi.driver = "scsi-hd";
  scsi.id = "sd0";
  scsi.drive = "gb2";
  scsi.placement.bus = "scsi0.0";
  scsi.scsi_id = 1;
  scsi.lun = 2;
  CHECK(wire(device_add(scsi)) ==
        R"(device_add {"driver":"scsi-hd","id":"sd0","bus":"scsi0.0","scsi-id":1,"lun":2,"drive":"gb2"})");
  ScsiControllerAdd controller;
  controller.id = "scsi0";
  controller.placement.bus = "rp4";
  CHECK(wire(device_add(controller)) == R"(device_add {"driver":"virtio-scsi-pci","id":"scsi0","bus":"rp4"})");
  controller.driver = "virtio-scsi-ccw";
  controller.placement = {};
  controller.placement.devno = "fe.0.0002";
  controller.placement.iommu_platform = true;
  controller.iothread = "io0";
  controller.num_queues = 2;
  CHECK(
      arguments(controller) ==
      R"({"driver":"virtio-scsi-ccw","id":"scsi0","devno":"fe.0.0002","iommu_platform":true,"iothread":"io0","num_queues":2})");

  CHECK(wire(blockdev_open_tray("cd0", true)) == R"(blockdev-open-tray {"id":"cd0","force":true})");
  CHECK(wire(blockdev_remove_medium("cd0")) == R"(blockdev-remove-medium {"id":"cd0"})");
  CHECK(wire(blockdev_insert_medium("cd0", "cd0.fmt")) ==
        R"(blockdev-insert-medium {"id":"cd0","node-name":"cd0.fmt"})");
  CHECK(wire(blockdev_close_tray("cd0")) == R"(blockdev-close-tray {"id":"cd0"})");
}

TEST_CASE("network builders", "[qmp][ops]") {
  NetdevAdd tap;
  tap.type = "tap";
  tap.id = "net0";
  tap.ifname = "tap0";
  tap.script = "no";
  tap.downscript = "no";
  tap.queues = 4;
  CHECK(wire(netdev_add(tap)) ==
        R"(netdev_add {"type":"tap","id":"net0","ifname":"tap0","script":"no","downscript":"no","queues":4})");
  NetdevAdd vu;
  vu.type = "vhost-user";
  vu.id = "net0";
  vu.chardev = "char0";
  vu.queues = 2;
  CHECK(wire(netdev_add(vu)) == R"(netdev_add {"type":"vhost-user","id":"net0","chardev":"char0","queues":2})");
  NetdevAdd by_fds;
  by_fds.type = "tap";
  by_fds.id = "net0";
  by_fds.fds = {"fd0", "fd1"};
  by_fds.vhost = true;
  by_fds.vhostfds = {"vfd0"};
  CHECK(wire(netdev_add(by_fds)) ==
        R"(netdev_add {"type":"tap","id":"net0","fds":"fd0:fd1","vhost":true,"vhostfds":"vfd0"})");
  NetdevAdd user;
  user.type = "user";
  user.id = "net1";
  user.hostfwd = {"tcp:127.0.0.1:2222-:22"};
  CHECK(arguments(user) == R"({"type":"user","id":"net1","hostfwd":[{"str":"tcp:127.0.0.1:2222-:22"}]})");
  CHECK(wire(netdev_del("net0")) == R"(netdev_del {"id":"net0"})");

  NicDeviceAdd nic;
  nic.id = "virtio-0";
  nic.netdev = "net0";
  nic.mac = "02:42:ac:11:00:02";
  nic.placement.bus = "rp2";
  CHECK(
      wire(device_add(nic)) ==
      R"(device_add {"driver":"virtio-net-pci","id":"virtio-0","bus":"rp2","netdev":"net0","mac":"02:42:ac:11:00:02"})");
  nic.queues = 4;
  CHECK(
      wire(device_add(nic)) ==
      R"(device_add {"driver":"virtio-net-pci","id":"virtio-0","bus":"rp2","netdev":"net0","mac":"02:42:ac:11:00:02","mq":true,"vectors":10})");
  NicDeviceAdd ccw{"virtio-net-ccw", "virtio-0", {}, "net0", "", 2};
  ccw.placement.devno = "fe.0.0001";
  CHECK(wire(device_add(ccw)) ==
        R"(device_add {"driver":"virtio-net-ccw","id":"virtio-0","devno":"fe.0.0001","netdev":"net0","mq":true})");
  CHECK(wire(set_link("virtio-0", false)) == R"(set_link {"name":"virtio-0","up":false})");
}

TEST_CASE("chardev and serial port builders", "[qmp][ops]") {
  CHECK(
      wire(chardev_add_socket({"char0", "/run/vu.sock", true, false})) ==
      R"(chardev-add {"id":"char0","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/vu.sock"}},"server":true,"wait":false}}})");
  CHECK(
      wire(chardev_add_socket({"char1", "/run/c.sock", false, false})) ==
      R"(chardev-add {"id":"char1","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/c.sock"}},"server":false}}})");
  CHECK(wire(chardev_add_file("ch2", "/tmp/out.log")) ==
        R"(chardev-add {"id":"ch2","backend":{"type":"file","data":{"out":"/tmp/out.log"}}})");
  CHECK(wire(chardev_remove("char0")) == R"(chardev-remove {"id":"char0"})");
  CHECK(wire(chardev_add_pipe("ch3", "/run/p")) ==
        R"(chardev-add {"id":"ch3","backend":{"type":"pipe","data":{"device":"/run/p"}}})");
  CHECK(wire(chardev_add_serial("ch4", "/dev/ttyS1")) ==
        R"(chardev-add {"id":"ch4","backend":{"type":"serial","data":{"device":"/dev/ttyS1"}}})");
  CHECK(wire(chardev_add_pty("ch5")) == R"(chardev-add {"id":"ch5","backend":{"type":"pty","data":{}}})");
  CHECK(wire(chardev_add_null("ch6")) == R"(chardev-add {"id":"ch6","backend":{"type":"null","data":{}}})");
  SerialControllerAdd controller;
  controller.id = "vser0";
  controller.placement.bus = "rp3";
  controller.max_ports = 4;
  CHECK(wire(device_add(controller)) ==
        R"(device_add {"driver":"virtio-serial-pci","id":"vser0","bus":"rp3","max_ports":4})");
  CHECK(
      wire(device_add(SerialPortAdd{"virtserialport", "port0", "vser0.0", "char0", "org.qemu.guest_agent.0"})) ==
      R"(device_add {"driver":"virtserialport","id":"port0","bus":"vser0.0","chardev":"char0","name":"org.qemu.guest_agent.0"})");
  CHECK(wire(device_add(SerialPortAdd{"isa-serial", "com1", "", "char1", ""})) ==
        R"(device_add {"driver":"isa-serial","id":"com1","chardev":"char1"})");
}

TEST_CASE("device builders: unplug, VFIO, vhost-user, vsock", "[qmp][ops]") {
  QmpCall del = device_del("vd1");
  CHECK(wire(del) == R"(device_del {"id":"vd1"})");
  REQUIRE(del.completion.kind == Completion::Kind::event);
  CHECK(del.completion.timeout_ms == kUnplugTimeoutMs);
  QmpCall cpu_del = device_del_cpu("cpu1");
  CHECK(wire(cpu_del) == R"(device_del {"id":"cpu1"})");
  // QEMU 7.2 reports a CPU's removal only for its local APIC child.
  CHECK(cpu_del.completion.device_id == "/machine/peripheral/cpu1/lapic");
  CHECK(cpu_del.completion.timeout_ms == kUnplugTimeoutMs);

  DevicePlacement rp0;
  rp0.bus = "rp0";
  rp0.romfile = "";
  CHECK(
      wire(device_add(VfioDeviceAdd{"vfio-pci", "vfio0", rp0, "02:00.0", "", 0x1af4, {}})) ==
      R"(device_add {"driver":"vfio-pci","id":"vfio0","bus":"rp0","romfile":"","host":"02:00.0","x-pci-vendor-id":6900})");
  DevicePlacement slot1;
  slot1.bus = "pcie.0";
  slot1.addr = "0x1";
  CHECK(
      wire(device_add(VfioDeviceAdd{"vfio-pci", "vfio0", slot1, "", "/sys/bus/mdev/devices/uuid", {}, {}})) ==
      R"(device_add {"driver":"vfio-pci","id":"vfio0","bus":"pcie.0","addr":"0x1","sysfsdev":"/sys/bus/mdev/devices/uuid"})");
  CHECK(wire(device_add(VfioDeviceAdd{"vfio-ap", "", {}, "", "/sys/devices/vfio_ap/matrix/uuid", {}, {}})) ==
        R"(device_add {"driver":"vfio-ap","sysfsdev":"/sys/devices/vfio_ap/matrix/uuid"})");
  DevicePlacement rp1;
  rp1.bus = "rp1";
  CHECK(
      wire(device_add(VhostUserDeviceAdd{"vhost-user-blk-pci", "vub0", rp1, "char0", "", 2, {}, 1})) ==
      R"(device_add {"driver":"vhost-user-blk-pci","id":"vub0","bus":"rp1","chardev":"char0","num-queues":2,"bootindex":1})");
  // QEMU spells the queue count of vhost-user-scsi with an underscore.
  CHECK(wire(device_add(VhostUserDeviceAdd{"vhost-user-scsi-pci", "vus0", rp1, "char0", "", 2, {}, {}})) ==
        R"(device_add {"driver":"vhost-user-scsi-pci","id":"vus0","bus":"rp1","chardev":"char0","num_queues":2})");
  CHECK(
      wire(device_add(VhostUserDeviceAdd{"vhost-user-fs-pci", "fs0", rp1, "char1", "share", {}, 1024, {}})) ==
      R"(device_add {"driver":"vhost-user-fs-pci","id":"fs0","bus":"rp1","chardev":"char1","tag":"share","queue-size":1024})");
  VsockDeviceAdd vsock;
  vsock.id = "vsock0";
  vsock.guest_cid = 3;
  vsock.placement.bus = "rp4";
  CHECK(wire(device_add(vsock)) ==
        R"(device_add {"driver":"vhost-vsock-pci","id":"vsock0","bus":"rp4","guest-cid":3})");
  vsock.vhostfd = "7";
  CHECK(arguments(vsock) == R"({"driver":"vhost-vsock-pci","id":"vsock0","bus":"rp4","guest-cid":3,"vhostfd":"7"})");
  CHECK(wire(device_add(R"({"driver":"pvpanic-pci","id":"p0"})")) ==
        R"(device_add {"driver":"pvpanic-pci","id":"p0"})");
}

TEST_CASE("CPU and memory builders", "[qmp][ops]") {
  CpuDeviceAdd cpu{"qemu64-x86_64-cpu", "cpu1", {}};
  cpu.props.socket_id = 0;
  cpu.props.core_id = 1;
  cpu.props.thread_id = 0;
  CHECK(wire(device_add(cpu)) ==
        R"(device_add {"driver":"qemu64-x86_64-cpu","id":"cpu1","socket-id":0,"core-id":1,"thread-id":0})");
  MemoryBackendAdd ram;
  ram.id = "mem1";
  ram.size = 268435456;
  CHECK(wire(object_add_memory(ram)) == R"(object-add {"qom-type":"memory-backend-ram","id":"mem1","size":268435456})");
  MemoryBackendAdd file{"memory-backend-file", "nv1", 1073741824, "/dev/pmem0", {}, true, true, {}};
  CHECK(
      wire(object_add_memory(file)) ==
      R"(object-add {"qom-type":"memory-backend-file","id":"nv1","size":1073741824,"mem-path":"/dev/pmem0","share":true,"pmem":true})");
  MemoryBackendAdd memfd{"memory-backend-memfd", "mem2", 1073741824, "", true, true, {}, true};
  CHECK(
      arguments(memfd) ==
      R"({"qom-type":"memory-backend-memfd","id":"mem2","size":1073741824,"hugetlb":true,"share":true,"prealloc":true})");
  CHECK(wire(object_del("mem1")) == R"(object-del {"id":"mem1"})");
  CHECK(wire(device_add(MemoryDeviceAdd{"pc-dimm", "dimm1", "mem1", "", "", {}, {}})) ==
        R"(device_add {"driver":"pc-dimm","id":"dimm1","memdev":"mem1"})");
  CHECK(
      wire(device_add(MemoryDeviceAdd{"virtio-mem-pci", "vm1", "vmem1", "rp1", "", 0, 2097152})) ==
      R"(device_add {"driver":"virtio-mem-pci","id":"vm1","memdev":"vmem1","bus":"rp1","requested-size":0,"block-size":2097152})");
  CHECK(wire(balloon(1073741824)) == R"(balloon {"value":1073741824})");
}

TEST_CASE("migration and fd builders", "[qmp][ops]") {
  CHECK(
      wire(migrate_set_capabilities({{"x-ignore-shared", true}, {"events", false}})) ==
      R"(migrate-set-capabilities {"capabilities":[{"capability":"x-ignore-shared","state":true},{"capability":"events","state":false}]})");
  CHECK(wire(migrate_set_parameters({104857600, 300, std::nullopt})) ==
        R"(migrate-set-parameters {"max-bandwidth":104857600,"downtime-limit":300})");
  CHECK(wire(migrate("exec:cat > /tmp/mig")) == R"(migrate {"uri":"exec:cat > /tmp/mig"})");
  CHECK(wire(migrate_incoming("unix:/run/mig.sock")) == R"(migrate-incoming {"uri":"unix:/run/mig.sock"})");
  CHECK(wire(migrate_set_parameters({std::nullopt, std::nullopt, 4})) == R"(migrate-set-parameters {"multifd-channels":4})");
  CHECK(wire(migrate_cancel()) == "migrate_cancel ");
  CHECK(wire(migrate_start_postcopy()) == "migrate-start-postcopy ");
  CHECK(wire(getfd("fd-tap0")) == R"(getfd {"fdname":"fd-tap0"})");
  CHECK(wire(closefd("fd-tap0")) == R"(closefd {"fdname":"fd-tap0"})");
  CHECK(wire(add_fd(std::nullopt)) == "add-fd {}");
  CHECK(wire(add_fd(3, "disk")) == R"(add-fd {"fdset-id":3,"opaque":"disk"})");
  CHECK(wire(remove_fd(3, 7)) == R"(remove-fd {"fdset-id":3,"fd":7})");
}

TEST_CASE("parsers read real QEMU 7.2 replies", "[qmp][ops]") {
  auto status = parse_status(json(R"({"status":"prelaunch","singlestep":false,"running":false})"));
  REQUIRE(status);
  CHECK(status->status == "prelaunch");
  CHECK_FALSE(status->running);

  auto cpus = parse_hotpluggable_cpus(json(
      R"([{"props":{"core-id":3,"thread-id":0,"socket-id":0},"vcpus-count":1,"type":"qemu64-x86_64-cpu"},
          {"props":{"core-id":0,"thread-id":0,"socket-id":0},"vcpus-count":1,"qom-path":"/machine/unattached/device[0]","type":"qemu64-x86_64-cpu"}])"));
  REQUIRE(cpus);
  REQUIRE(cpus->size() == 2);
  CHECK((*cpus)[0].props.core_id == 3);
  CHECK_FALSE((*cpus)[0].qom_path);
  CHECK((*cpus)[1].qom_path == std::string("/machine/unattached/device[0]"));

  auto fast = parse_cpus_fast(json(
      R"([{"thread-id":1234,"props":{"core-id":0,"thread-id":0,"node-id":0,"socket-id":0},"qom-path":"/machine/unattached/device[0]","cpu-index":0,"target":"x86_64"}])"));
  REQUIRE(fast);
  CHECK((*fast)[0].target == "x86_64");
  CHECK((*fast)[0].props.node_id == 0);

  auto mem = parse_memory_devices(json(
      R"([{"type":"dimm","data":{"memdev":"/objects/mem1","hotplugged":true,"addr":4294967296,"hotpluggable":true,"size":268435456,"slot":0,"node":0,"id":"dimm1"}},
          {"type":"virtio-mem","data":{"memdev":"/objects/vmem1","memaddr":4294967296,"block-size":2097152,"size":268435456,"node":0,"max-size":1073741824,"requested-size":268435456,"id":"vm1"}}])"));
  REQUIRE(mem);
  CHECK((*mem)[0].id == "dimm1");
  CHECK((*mem)[0].slot == 0);
  CHECK((*mem)[1].addr == 4294967296u);
  CHECK((*mem)[1].requested_size == 268435456u);

  auto summary = parse_memory_size_summary(json(R"({"base-memory":536870912,"plugged-memory":268435456})"));
  REQUIRE(summary);
  CHECK(summary->plugged_memory == 268435456u);
  CHECK(parse_balloon(json(R"({"actual":536870912})"))->actual == 536870912u);

  auto never = parse_migration(json("{}"));
  REQUIRE(never);
  CHECK_FALSE(never->status);
  auto done = parse_migration(json(
      R"({"status":"completed","setup-time":3,"downtime":20,"total-time":680,"ram":{"total":537403392,"remaining":0,"transferred":100,"duplicate":1,"normal":2,"normal-bytes":8192,"dirty-sync-count":3,"mbps":1.5,"dirty-pages-rate":120,"page-size":4096}})"));
  REQUIRE(done);
  CHECK(done->status == std::string("completed"));
  CHECK(done->ram->normal_bytes == 8192u);
  CHECK(done->ram->dirty_pages_rate == 120u);
  CHECK(done->ram->page_size == 4096u);

  auto schema = parse_schema(json(R"([{"name":"query-status","meta-type":"command","arg-type":"0","ret-type":"1"}])"));
  REQUIRE(schema);
  CHECK((*schema)[0].meta_type == "command");
  auto qom = parse_qom_list(json(R"([{"name":"type","type":"string"},{"name":"vd0","type":"child<virtio-blk-pci>"}])"));
  REQUIRE(qom);
  CHECK((*qom)[1].type == "child<virtio-blk-pci>");
  CHECK(parse_add_fd(json(R"({"fdset-id":1,"fd":25})"))->fd == 25);
}

TEST_CASE("parsers name what is wrong with a malformed reply", "[qmp][ops]") {
  auto missing = parse_status(json(R"({"running":true,"singlestep":false})"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "Unexpected reply to QMP command 'query-status': lacks 'status'");
  CHECK(missing.error().errno_value == EPROTO);
  auto typed = parse_balloon(json(R"({"actual":"big"})"));
  REQUIRE_FALSE(typed);
  CHECK(typed.error().message == "Unexpected reply to QMP command 'query-balloon': 'actual' is not an integer");
  auto nested =
      parse_memory_devices(json(R"([{"type":"dimm","data":{"memdev":"/objects/m","addr":1,"size":"x","node":0}}])"));
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message == "Unexpected reply to QMP command 'query-memory-devices': 'size' is not an integer");
  CHECK_FALSE(parse_cpus_fast(json("{}")));
  CHECK(parse_cpus_fast(json("{}")).error().message ==
        "Unexpected reply to QMP command 'query-cpus-fast': not an array");
}

TEST_CASE("backup builders: a persistent bitmap and a backup job in one transaction", "[qmp][ops]") {
  const std::string bitmap = arguments(DirtyBitmapAdd{"data.fmt", "vmforge-backup"});
  CHECK(bitmap == R"({"node":"data.fmt","name":"vmforge-backup","persistent":true})");
  const std::string full =
      arguments(BlockdevBackup{"vmforge-backup-data", "data.fmt", "bk1-data.fmt", "full", "vmforge-backup"});
  CHECK(full == R"({"job-id":"vmforge-backup-data","device":"data.fmt","target":"bk1-data.fmt","sync":"full",)"
                R"("bitmap":"vmforge-backup","bitmap-mode":"on-success"})");
  CHECK(arguments(BlockdevBackup{"j", "d", "t", "full", ""}) ==
        R"({"job-id":"j","device":"d","target":"t","sync":"full"})");
  const QmpCall call =
      backup_transaction({{"block-dirty-bitmap-add", bitmap}, {"blockdev-backup", full}}, {"vmforge-backup-data"}, 60000);
  CHECK(wire(call) == std::string(R"(transaction {"actions":[{"type":"block-dirty-bitmap-add","data":)")
                          .append(bitmap)
                          .append(R"(},{"type":"blockdev-backup","data":)")
                          .append(full)
                          .append("}]}"));
  CHECK(call.completion.kind == Completion::Kind::event);
  CHECK(call.completion.event == "BLOCK_JOB_COMPLETED");
  CHECK(call.completion.device_id == "vmforge-backup-data");
  CHECK(call.completion.timeout_ms == 60000);
  CHECK(wire(job_cancel("vmforge-backup-data")) == R"(job-cancel {"id":"vmforge-backup-data"})");
  CHECK(wire(block_dirty_bitmap_remove("data.fmt", "vmforge-backup")) ==
        R"(block-dirty-bitmap-remove {"node":"data.fmt","name":"vmforge-backup"})");
}
