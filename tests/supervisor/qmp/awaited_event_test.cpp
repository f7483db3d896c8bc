// awaited_event(): the event a QmpCall's completion waits for, and the guest refusals that end
// an unplug at once, on events recorded from QEMU 7.2.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/qmp/ops_backup.hpp"
#include "compiler/qmp/ops_cpu.hpp"
#include "compiler/qmp/ops_device.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/qmp/client.hpp"

using namespace vmforge;
using namespace vmforge::qmp;

namespace {

// An event as QEMU 7.2 sent it: its name and its data's JSON.
Event event(std::string name, std::string_view data) {
  auto parsed = parse_json(data);
  REQUIRE(parsed);
  return Event{std::move(name), std::move(*parsed), 0, 0};
}

}  // namespace

TEST_CASE("device_del waits for DEVICE_DELETED naming the device, and fails on a refusal", "[qmp][client]") {
  const EventMatch until = awaited_event(device_del("vd1").completion);
  CHECK(until.name == "DEVICE_DELETED");
  const Event backend = event("DEVICE_DELETED", R"({"path":"/machine/peripheral/vd1/virtio-backend"})");
  const Event other = event("DEVICE_DELETED", R"({"device":"vd10","path":"/machine/peripheral/vd10"})");
  const Event mine = event("DEVICE_DELETED", R"({"device":"vd1","path":"/machine/peripheral/vd1"})");
  CHECK_FALSE(until.filter(backend));
  CHECK_FALSE(until.filter(other));
  CHECK(until.filter(mine));
  const Event in_progress = event("ACPI_DEVICE_OST", R"({"info":{"device":"vd1","source":3,"status":132}})");
  const Event busy =
      event("ACPI_DEVICE_OST", R"({"info":{"device":"vd1","source":3,"status":130,"slot":"0","slot-type":"DIMM"}})");
  const Event busy_other = event("ACPI_DEVICE_OST", R"({"info":{"device":"vd10","source":3,"status":130}})");
  const Event guest_error = event("DEVICE_UNPLUG_GUEST_ERROR", R"({"device":"vd1","path":"/machine/peripheral/vd1"})");
  REQUIRE(until.failure);
  CHECK_FALSE(until.failure(in_progress));
  CHECK_FALSE(until.failure(busy_other));
  CHECK_FALSE(until.failure(mine));
  CHECK(until.failure(busy) == std::string("the guest refused to release 'vd1' (ACPI _OST status 130: device busy)"));
  CHECK(until.failure(guest_error) == std::string("the guest refused to release 'vd1'"));
}

TEST_CASE("a CPU's unplug waits for its lapic child's DEVICE_DELETED", "[qmp][client]") {
  const EventMatch until = awaited_event(device_del_cpu("cpu1").completion);
  const Event ost_done = event("ACPI_DEVICE_OST", R"({"info":{"source":3,"status":0,"slot":"1","slot-type":"CPU"}})");
  const Event lapic = event("DEVICE_DELETED", R"({"path":"/machine/peripheral/cpu1/lapic"})");
  const Event other_lapic = event("DEVICE_DELETED", R"({"path":"/machine/peripheral/cpu10/lapic"})");
  CHECK(until.name == "DEVICE_DELETED");
  CHECK_FALSE(until.filter(ost_done));
  CHECK_FALSE(until.filter(other_lapic));
  CHECK(until.filter(lapic));
}

TEST_CASE("an event without a device id matches any event of its name", "[qmp][client]") {
  const EventMatch until = awaited_event(system_powerdown_until_shutdown().completion);
  CHECK(until.name == "SHUTDOWN");
  CHECK_FALSE(until.filter);
  CHECK_FALSE(until.failure);
}

TEST_CASE("a backup transaction waits for its job's BLOCK_JOB_COMPLETED, and fails on its error or cancel",
          "[qmp][client]") {
  const EventMatch until = awaited_event(backup_transaction({}, {"vmforge-backup-data"}, 0).completion);
  CHECK(until.name == "BLOCK_JOB_COMPLETED");
  CHECK(until.count == 1);
  const Event done = event("BLOCK_JOB_COMPLETED",
                           R"({"device":"vmforge-backup-data","len":67108864,"offset":67108864,"speed":0,"type":"backup"})");
  const Event other = event("BLOCK_JOB_COMPLETED",
                            R"({"device":"vmforge-backup-root","len":1,"offset":1,"speed":0,"type":"backup"})");
  const Event failed = event(
      "BLOCK_JOB_COMPLETED",
      R"({"device":"vmforge-backup-data","len":67108864,"offset":4096,"speed":0,"type":"backup","error":"No space left on device"})");
  const Event cancelled = event("BLOCK_JOB_CANCELLED",
                                R"({"device":"vmforge-backup-data","len":67108864,"offset":4096,"speed":0,"type":"backup"})");
  CHECK(until.filter(done));
  CHECK_FALSE(until.filter(other));
  REQUIRE(until.failure);
  CHECK_FALSE(until.failure(done));
  CHECK_FALSE(until.failure(other));
  CHECK(until.failure(failed) == std::string("block job 'vmforge-backup-data' failed: No space left on device"));
  CHECK(until.failure(cancelled) == std::string("block job 'vmforge-backup-data' was cancelled"));

  // The jobs of several disks, started by one transaction: each one's event counts.
  const EventMatch both =
      awaited_event(backup_transaction({}, {"vmforge-backup-data", "vmforge-backup-root"}, 0).completion);
  CHECK(both.count == 2);
  CHECK(both.filter(done));
  CHECK(both.filter(other));
  CHECK(both.failure(cancelled) == std::string("block job 'vmforge-backup-data' was cancelled"));
  CHECK_FALSE(both.failure(other));
}
