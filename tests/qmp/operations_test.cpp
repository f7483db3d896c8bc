// Typed operations: the exact JSON each builder sends (QEMU 7.2 form: numbers as numbers,
// booleans as booleans, optional members left out) and the parsers on real 7.2 replies.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cerrno>
#include <string>

#include "supervisor/qmp/operations.hpp"

using namespace vmforge;
using namespace vmforge::qmp;

namespace {

std::string wire(const Command& c) { return c.name + " " + c.arguments; }

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
  CHECK_FALSE(system_powerdown().until);
  REQUIRE(system_powerdown_until_shutdown().until);
  CHECK(system_powerdown_until_shutdown().until->name == "SHUTDOWN");
  CHECK(wire(query_status()) == "query-status ");
  CHECK(wire(qom_get("/machine/peripheral/vd0", "serial")) ==
        R"(qom-get {"path":"/machine/peripheral/vd0","property":"serial"})");
  CHECK(wire(qom_set("/machine/peripheral/vm1", "requested-size", JsonValue(std::uint64_t{268435456}))) ==
        R"(qom-set {"path":"/machine/peripheral/vm1","property":"requested-size","value":268435456})");
  CHECK(wire(qom_list("/machine/peripheral")) == R"(qom-list {"path":"/machine/peripheral"})");
  CHECK(wire(dump_guest_memory({"file:/tmp/dump", false, "elf", false})) ==
        R"(dump-guest-memory {"protocol":"file:/tmp/dump","paging":false,"format":"elf"})");
  Command detached = dump_guest_memory({"fd:dumpfd", true, "", true});
  CHECK(wire(detached) == R"(dump-guest-memory {"protocol":"fd:dumpfd","paging":true,"detach":true})");
  CHECK(detached.until->name == "DUMP_COMPLETED");
}

TEST_CASE("block builders", "[qmp][ops]") {
  BlockdevAdd node;
  node.node_name = "drive_1";
  node.filename = "/img/a,b.raw";
  CHECK(wire(blockdev_add(node)) ==
        R"(blockdev-add {"driver":"raw","node-name":"drive_1","file":{"driver":"file","filename":"/img/a,b.raw"},"read-only":false})");
  node.format = "qcow2";
  node.file_driver = "host_device";
  node.read_only = true;
  node.cache_direct = true;
  node.cache_no_flush = false;
  CHECK(wire(blockdev_add(node)) ==
        R"(blockdev-add {"driver":"qcow2","node-name":"drive_1","file":{"driver":"host_device","filename":"/img/a,b.raw"},"read-only":true,"cache":{"direct":true,"no-flush":false}})");
  CHECK(wire(blockdev_del("drive_1")) == R"(blockdev-del {"node-name":"drive_1"})");

  BlockDeviceAdd disk;
  disk.id = "vd1";
  disk.drive = "drive_1";
  disk.bus = "rp1";
  CHECK(wire(device_add_block(disk)) == R"(device_add {"driver":"virtio-blk-pci","id":"vd1","drive":"drive_1","bus":"rp1"})");
  disk.addr = "0x1.0x0";
  disk.serial = "S1";
  disk.share_rw = true;
  disk.num_queues = 4;
  disk.disable_modern = false;
  disk.romfile = "";
  CHECK(wire(device_add_block(disk)) ==
        R"(device_add {"driver":"virtio-blk-pci","id":"vd1","drive":"drive_1","bus":"rp1","addr":"0x1.0x0","serial":"S1","share-rw":true,"num-queues":4,"disable-modern":false,"romfile":""})");

  ScsiDeviceAdd scsi;
  scsi.id = "sd0";
  scsi.drive = "gb2";
  scsi.bus = "scsi0.0";
  scsi.scsi_id = 1;
  scsi.lun = 2;
  CHECK(wire(device_add_scsi(scsi)) ==
        R"(device_add {"driver":"scsi-hd","id":"sd0","drive":"gb2","bus":"scsi0.0","scsi-id":1,"lun":2})");
  scsi.driver = ScsiDriver::cd;
  scsi.scsi_id.reset();
  scsi.lun.reset();
  CHECK(wire(device_add_scsi(scsi)) == R"(device_add {"driver":"scsi-cd","id":"sd0","drive":"gb2","bus":"scsi0.0"})");
  CHECK(wire(device_add_scsi_controller("scsi0", "rp4")) ==
        R"(device_add {"driver":"virtio-scsi-pci","id":"scsi0","bus":"rp4"})");
}

TEST_CASE("network builders", "[qmp][ops]") {
  NetdevAdd tap;
  tap.type = "tap";
  tap.id = "net0";
  tap.ifname = "tap0";
  tap.script = "no";
  tap.downscript = "no";
  tap.queues = 4;
  auto c = netdev_add(tap);
  REQUIRE(c);
  CHECK(wire(*c) ==
        R"(netdev_add {"type":"tap","id":"net0","ifname":"tap0","script":"no","downscript":"no","queues":4})");
  NetdevAdd vu{"vhost-user", "net0", "", "", "", 2, "char0", {}, {}, {}};
  CHECK(wire(*netdev_add(vu)) == R"(netdev_add {"type":"vhost-user","id":"net0","queues":2,"chardev":"char0"})");
  NetdevAdd by_fds{"tap", "net0", "", "", "", {}, "", {"fd0", "fd1"}, {}, {}};
  CHECK(wire(*netdev_add(by_fds)) == R"(netdev_add {"type":"tap","id":"net0","fds":"fd0:fd1"})");
  CHECK(wire(netdev_del("net0")) == R"(netdev_del {"id":"net0"})");
  if (access("/dev/vhost-net", R_OK | W_OK) != 0) {
    by_fds.vhost = true;
    by_fds.vhostfds = {"vfd0"};
    auto refused = netdev_add(by_fds);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().errno_value == ENODEV);
    CHECK(refused.error().message.find("/dev/vhost-net is not usable") != std::string::npos);
  }

  NicDeviceAdd nic;
  nic.id = "virtio-0";
  nic.netdev = "net0";
  nic.mac = "02:42:ac:11:00:02";
  nic.bus = "rp2";
  CHECK(wire(device_add_nic(nic)) ==
        R"(device_add {"driver":"virtio-net-pci","id":"virtio-0","netdev":"net0","mac":"02:42:ac:11:00:02","bus":"rp2"})");
  nic.queues = 4;
  CHECK(wire(device_add_nic(nic)) ==
        R"(device_add {"driver":"virtio-net-pci","id":"virtio-0","netdev":"net0","mac":"02:42:ac:11:00:02","bus":"rp2","mq":true,"vectors":10})");
  NicDeviceAdd ccw;
  ccw.driver = "virtio-net-ccw";
  ccw.id = "virtio-0";
  ccw.netdev = "net0";
  ccw.devno = "fe.0.0001";
  ccw.queues = 2;
  CHECK(wire(device_add_nic(ccw)) ==
        R"(device_add {"driver":"virtio-net-ccw","id":"virtio-0","netdev":"net0","devno":"fe.0.0001","mq":true})");
}

TEST_CASE("chardev and serial port builders", "[qmp][ops]") {
  CHECK(wire(chardev_add_socket({"char0", "/run/vu.sock", true, false})) ==
        R"(chardev-add {"id":"char0","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/vu.sock"}},"server":true,"wait":false}}})");
  CHECK(wire(chardev_add_socket({"char1", "/run/c.sock", false, false})) ==
        R"(chardev-add {"id":"char1","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/c.sock"}},"server":false}}})");
  CHECK(wire(chardev_add_file("ch2", "/tmp/out.log")) ==
        R"(chardev-add {"id":"ch2","backend":{"type":"file","data":{"out":"/tmp/out.log"}}})");
  CHECK(wire(chardev_remove("char0")) == R"(chardev-remove {"id":"char0"})");
  CHECK(wire(device_add_serial_controller("vser0", "rp3")) ==
        R"(device_add {"driver":"virtio-serial-pci","id":"vser0","bus":"rp3"})");
  CHECK(wire(device_add_serial_port({"port0", "char0", "org.qemu.guest_agent.0", "vser0.0"})) ==
        R"(device_add {"driver":"virtserialport","id":"port0","chardev":"char0","name":"org.qemu.guest_agent.0","bus":"vser0.0"})");
}

TEST_CASE("device builders: unplug, VFIO, vhost-user, vsock", "[qmp][ops]") {
  Command del = device_del("vd1");
  CHECK(wire(del) == R"(device_del {"id":"vd1"})");
  REQUIRE(del.until);
  CHECK(del.until->name == "DEVICE_DELETED");
  Event backend{"DEVICE_DELETED", json(R"({"path":"/machine/peripheral/vd1/virtio-backend"})"), 0, 0};
  Event other{"DEVICE_DELETED", json(R"({"device":"vd10","path":"/machine/peripheral/vd10"})"), 0, 0};
  Event mine{"DEVICE_DELETED", json(R"({"device":"vd1","path":"/machine/peripheral/vd1"})"), 0, 0};
  CHECK_FALSE(del.until->filter(backend));
  CHECK_FALSE(del.until->filter(other));
  CHECK(del.until->filter(mine));
  Event in_progress{"ACPI_DEVICE_OST", json(R"({"info":{"device":"vd1","source":3,"status":132}})"), 0, 0};
  Event busy{"ACPI_DEVICE_OST", json(R"({"info":{"device":"vd1","source":3,"status":130,"slot":"0","slot-type":"DIMM"}})"), 0, 0};
  Event busy_other{"ACPI_DEVICE_OST", json(R"({"info":{"device":"vd10","source":3,"status":130}})"), 0, 0};
  Event guest_error{"DEVICE_UNPLUG_GUEST_ERROR", json(R"({"device":"vd1","path":"/machine/peripheral/vd1"})"), 0, 0};
  CHECK_FALSE(del.until->failure(in_progress));
  CHECK_FALSE(del.until->failure(busy_other));
  CHECK_FALSE(del.until->failure(mine));
  CHECK(del.until->failure(busy) == std::string("the guest refused to release 'vd1' (ACPI _OST status 130: device busy)"));
  CHECK(del.until->failure(guest_error) == std::string("the guest refused to release 'vd1'"));
  Command cpu_del = device_del_cpu("cpu1");
  CHECK(wire(cpu_del) == R"(device_del {"id":"cpu1"})");
  Event ost_done{"ACPI_DEVICE_OST", json(R"({"info":{"source":3,"status":0,"slot":"1","slot-type":"CPU"}})"), 0, 0};
  Event lapic{"DEVICE_DELETED", json(R"({"path":"/machine/peripheral/cpu1/lapic"})"), 0, 0};
  Event other_lapic{"DEVICE_DELETED", json(R"({"path":"/machine/peripheral/cpu10/lapic"})"), 0, 0};
  CHECK(cpu_del.until->name == "DEVICE_DELETED");
  CHECK_FALSE(cpu_del.until->filter(ost_done));
  CHECK_FALSE(cpu_del.until->filter(other_lapic));
  CHECK(cpu_del.until->filter(lapic));

  CHECK(wire(device_add_vfio({"vfio-pci", "vfio0", "02:00.0", "", "rp0", "", ""})) ==
        R"(device_add {"driver":"vfio-pci","id":"vfio0","host":"02:00.0","bus":"rp0","romfile":""})");
  CHECK(wire(device_add_vfio({"vfio-pci", "vfio0", "", "/sys/bus/mdev/devices/uuid", "rp0", "0x1", {}})) ==
        R"(device_add {"driver":"vfio-pci","id":"vfio0","sysfsdev":"/sys/bus/mdev/devices/uuid","bus":"rp0","addr":"0x1"})");
  CHECK(wire(device_add_vfio({"vfio-ap", "", "", "/sys/devices/vfio_ap/matrix/uuid", "", "", {}})) ==
        R"(device_add {"driver":"vfio-ap","sysfsdev":"/sys/devices/vfio_ap/matrix/uuid"})");
  CHECK(wire(device_add_vhost_user({"vhost-user-blk-pci", "vub0", "char0", "rp0", "", "", {}})) ==
        R"(device_add {"driver":"vhost-user-blk-pci","id":"vub0","chardev":"char0","bus":"rp0"})");
  CHECK(wire(device_add_vhost_user({"vhost-user-fs-pci", "fs0", "char1", "rp1", "", "share", 1})) ==
        R"(device_add {"driver":"vhost-user-fs-pci","id":"fs0","chardev":"char1","bus":"rp1","tag":"share","num-queues":1})");
  VsockDeviceAdd vsock;
  vsock.id = "vsock0";
  vsock.guest_cid = 3;
  vsock.bus = "rp4";
  CHECK(wire(device_add_vsock(vsock)) == R"(device_add {"driver":"vhost-vsock-pci","id":"vsock0","guest-cid":3,"bus":"rp4"})");
  CHECK(wire(device_add(R"({"driver":"pvpanic-pci","id":"p0"})")) == R"(device_add {"driver":"pvpanic-pci","id":"p0"})");
}

TEST_CASE("CPU and memory builders", "[qmp][ops]") {
  CpuDeviceAdd cpu{"qemu64-x86_64-cpu", "cpu1", {}};
  cpu.props.socket_id = 0;
  cpu.props.core_id = 1;
  cpu.props.thread_id = 0;
  CHECK(wire(device_add_cpu(cpu)) ==
        R"(device_add {"driver":"qemu64-x86_64-cpu","id":"cpu1","socket-id":0,"core-id":1,"thread-id":0})");
  MemoryBackendAdd ram;
  ram.id = "mem1";
  ram.size = 268435456;
  CHECK(wire(object_add_memory(ram)) == R"(object-add {"qom-type":"memory-backend-ram","id":"mem1","size":268435456})");
  MemoryBackendAdd file{"memory-backend-file", "nv1", 1073741824, "/dev/pmem0", true, true, {}};
  CHECK(wire(object_add_memory(file)) ==
        R"(object-add {"qom-type":"memory-backend-file","id":"nv1","size":1073741824,"mem-path":"/dev/pmem0","share":true,"pmem":true})");
  CHECK(wire(object_del("mem1")) == R"(object-del {"id":"mem1"})");
  CHECK(wire(device_add_memory({"pc-dimm", "dimm1", "mem1", "", "", {}, {}})) ==
        R"(device_add {"driver":"pc-dimm","id":"dimm1","memdev":"mem1"})");
  CHECK(wire(device_add_memory({"virtio-mem-pci", "vm1", "vmem1", "rp1", "", 0, 2097152})) ==
        R"(device_add {"driver":"virtio-mem-pci","id":"vm1","memdev":"vmem1","bus":"rp1","requested-size":0,"block-size":2097152})");
  CHECK(wire(balloon(1073741824)) == R"(balloon {"value":1073741824})");
}

TEST_CASE("migration and fd builders", "[qmp][ops]") {
  CHECK(wire(migrate_set_capabilities({{"x-ignore-shared", true}, {"events", false}})) ==
        R"(migrate-set-capabilities {"capabilities":[{"capability":"x-ignore-shared","state":true},{"capability":"events","state":false}]})");
  CHECK(wire(migrate_set_parameters({104857600, 300})) ==
        R"(migrate-set-parameters {"max-bandwidth":104857600,"downtime-limit":300})");
  CHECK(wire(migrate("exec:cat > /tmp/mig")) == R"(migrate {"uri":"exec:cat > /tmp/mig"})");
  CHECK(wire(migrate_incoming("unix:/run/mig.sock")) == R"(migrate-incoming {"uri":"unix:/run/mig.sock"})");
  CHECK(wire(migrate_cancel()) == "migrate_cancel ");
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
      R"({"status":"completed","setup-time":3,"downtime":20,"total-time":680,"ram":{"total":537403392,"remaining":0,"transferred":100,"duplicate":1,"normal":2,"normal-bytes":8192,"dirty-sync-count":3,"mbps":1.5}})"));
  REQUIRE(done);
  CHECK(done->status == std::string("completed"));
  CHECK(done->ram->normal_bytes == 8192u);

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
  auto nested = parse_memory_devices(json(R"([{"type":"dimm","data":{"memdev":"/objects/m","addr":1,"size":"x","node":0}}])"));
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message == "Unexpected reply to QMP command 'query-memory-devices': 'size' is not an integer");
  CHECK_FALSE(parse_cpus_fast(json("{}")));
  CHECK(parse_cpus_fast(json("{}")).error().message == "Unexpected reply to QMP command 'query-cpus-fast': not an array");
}
