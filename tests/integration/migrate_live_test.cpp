// Live migration between two supervisors on this host (issue #14), each with its own runtime
// dir as two hosts would have: the destination `vmforge run --incoming URI` is `inmigrate` and
// not ready until the VM runs there, `vmforge migrate` moves the running test guest over unix
// and tcp (its disk file shared by both QEMUs, as on shared storage), the guest does not boot
// again and reads back what it wrote before, the source ends with status 0, and `plan` on the
// destination has no changes. A VM with devices hot-plugged or removed since its start migrates
// too (the destination takes its PCI layout), on q35 and on pc. A cancelled migration and one whose destination
// dies leave the source running; nothing changes a VM's devices while it migrates.
#include <signal.h>

#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/integration/live_vm.hpp"
#include "tests/supervisor/core/notify_listener.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/guest_io.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/source_tree.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

using test::CliResult;
using test::LiveVm;

namespace {

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The source: the test guest with the command port and a raw data disk, on which it wrote the
// pattern "before" in its first 64 blocks.
struct Source {
  LiveVm vm;
  std::string socket;
  std::string manifest;  // what the VM is made of now (the destination starts from it)
  std::optional<test::GuestIo> io;

  /// `extra`: more manifest TOML (both ends get it); `machine`: the machine type, q35 if empty.
  explicit Source(std::string_view extra = "", std::string_view machine = "") {
    if (!machine.empty()) vm.use_machine(std::string(machine));
    auto cmd = test::guest_cmd_socket(vm.dir());
    REQUIRE(cmd);
    socket = *cmd;
    manifest = manifest_with("src", extra);
    vm.boot(manifest);
    REQUIRE(vm.report().wait_for_value("ports", "vmforge.cmd", test::kGuestReportTimeout));
    auto connected = test::GuestIo::connect(socket, vm.report());
    REQUIRE(connected);
    io.emplace(std::move(*connected));
    REQUIRE(io->write("data", 0, "before", 64, test::kGuestReportTimeout));
  }

  /// The manifest `name`: the guest's command port, the data disk, and `extra`.
  std::string manifest_with(std::string_view name, std::string_view extra) {
    return vm.manifest(name, test::guest_cmd_port_toml(socket, "vser0") +
                                 fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nformat = \"raw\"\n"
                                             "serial = \"data\"\n{}",
                                             vm.dir().file("d1.raw"), extra));
  }

  /// `vmforge apply` of the manifest with `extra` instead: the VM changes live.
  void apply(std::string_view extra) {
    manifest = manifest_with("now", extra);
    vm.apply(manifest);
  }
};

// The destination: the same VM's manifest where "another host" differs (its serial log and its
// command port's socket), the same disk file; its supervisor under runtime dir rt2.
struct Destination {
  std::string rt;
  std::string serial;
  std::string socket;
  std::string manifest;
  std::string log;
  std::optional<launch::Process> supervisor;

  Destination(Source& src, const std::string& uri) {
    const test::TempDir& dir = src.vm.dir();
    rt = dir.file("rt2");
    serial = dir.file("serial-dst.log");
    socket = src.socket + "2";
    log = dir.file("run-dst.log");
    std::string text = replaced(test::file_text(src.manifest), dir.file("serial.log"), serial);
    manifest = dir.file("dst.toml");
    std::ofstream(manifest) << replaced(text, src.socket, socket);
    launch::SpawnOptions options;
    options.argv = {test::vmforge_binary(), "run", manifest, "--incoming", uri, "--runtime-dir", rt};
    options.stderr_file = log;
    auto process = launch::spawn(options);
    REQUIRE(process);
    supervisor.emplace(std::move(*process));
  }
  ~Destination() {
    if (supervisor) {
      (void)supervisor->signal(SIGTERM);
      (void)supervisor->wait(30s);
    }
  }

  CliResult cli(std::vector<std::string> args) const {
    args.push_back("--runtime-dir");
    args.push_back(rt);
    return test::run_vmforge(args, 120s);
  }

  // `status --json` (its exit status says whether the VM is healthy: not while inmigrate).
  JsonValue status() const {
    CliResult r = cli({"status", "apt", "--json"});
    INFO(r.out << r.err);
    auto json = parse_json(r.out);
    REQUIRE(json);
    return std::move(*json);
  }

  // Waits until the destination's supervisor answers and says `inmigrate`.
  void wait_inmigrate() const {
    for (int i = 0; i < 300; ++i) {
      JsonValue s = status();
      if (s.get_string("state") == "inmigrate") {
        CHECK(s.get_string("run_state") == "inmigrate");
        CliResult list = cli({"list"});
        INFO(list.out << list.err);
        CHECK(list.out.find(" inmigrate ") != std::string::npos);
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    FAIL("the destination never reported 'inmigrate':\n" << test::file_text(log));
  }
};

// A disk's serial and the word the guest wrote on it on the source.
using Written = std::vector<std::pair<std::string, std::string>>;

// The guest answers on the destination's command port and reads back the pattern it wrote on
// the source, and each of `more`.
void check_reads_before(const Destination& dst, const Written& more = {}) {
  test::SerialReport report(dst.serial);
  auto moved = test::GuestIo::connect(dst.socket, report);
  REQUIRE(moved);
  auto read = moved->read("data", 0, 64, test::kGuestReportTimeout);
  REQUIRE(read);
  CHECK(read->pattern == "before");
  for (const auto& [serial, word] : more) {
    auto other = moved->read(serial, 0, 64, test::kGuestReportTimeout);
    REQUIRE(other);
    CHECK(other->pattern == word);
  }
}

// `vmforge migrate apt --to uri` succeeds and the source's supervisor ends with status 0.
void migrate_to(Source& src, const Destination& dst, const std::string& uri) {
  CliResult migrated = src.vm.cli({"migrate", "apt", "--to", uri});
  INFO(migrated.out << migrated.err << src.vm.log() << test::file_text(dst.log));
  REQUIRE(migrated.status == 0);
  CHECK(migrated.out.starts_with(fmt::format("VM 'apt' migrated to '{}' in ", uri)));
  auto ended = src.vm.supervisor().wait(30s);
  REQUIRE(ended);
  CHECK(ended->success());
  src.vm.forget_supervisor();
}

// `vmforge migrate apt --to uri ARGS...` in the background.
launch::Process start_migrate(LiveVm& vm, const std::string& uri, std::vector<std::string> extra = {}) {
  launch::SpawnOptions options;
  options.argv = {test::vmforge_binary(), "migrate", "apt", "--to", uri, "--runtime-dir", vm.dir().file("rt")};
  options.argv.insert(options.argv.end(), extra.begin(), extra.end());
  options.capture_stdout = true;
  auto process = launch::spawn(options);
  REQUIRE(process);
  return std::move(*process);
}

// Waits until the source's QEMU says the migration is `active`.
void wait_active(LiveVm& vm) {
  for (int i = 0; i < 300; ++i) {
    if (vm.qmp(R"({"execute":"query-migrate"})").get_string("status") == "active") return;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("the migration never became active:\n" << vm.log());
}

// The source VM still runs, and its guest still answers on its command port.
void check_source_runs(Source& src) {
  CHECK(src.vm.qmp(R"({"execute":"query-status"})").get_string("status") == "running");
  auto read = src.io->read("data", 0, 64, test::kGuestReportTimeout);
  REQUIRE(read);
  CHECK(read->pattern == "before");
}

// The unix socket QEMU (as vmforge-qemu) listens on: next to the command port's.
std::string unix_uri(const Source& src) { return "unix:" + src.socket.substr(0, src.socket.rfind('/')) + "/mig.sock"; }

// Migrates to `tcp_uri`, or over a unix socket when it is empty.
void migrate_and_check(const std::string& tcp_uri) {
  Source src;
  const std::string uri = tcp_uri.empty() ? unix_uri(src) : tcp_uri;

  test::NotifyListener notify(src.vm.dir().file("notify.sock"));
  Destination dst(src, uri);
  dst.wait_inmigrate();
  CHECK(notify.receive(200).find("READY=1") == std::string::npos);

  // The source's supervisor says so and ends with status 0.
  migrate_to(src, dst, uri);
  CHECK(src.vm.log().find(fmt::format("VM 'apt' migrated to '{}'", uri)) != std::string::npos);

  // The destination is ready only now, and runs the guest.
  CHECK(notify.wait_for("READY=1", 30000).find("READY=1") != std::string::npos);
  JsonValue status = dst.status();
  CHECK(status.get_string("state") == "running");
  CHECK(status.get_string("run_state") == "running");

  // The same guest: it answers on the destination's port, reads back what it wrote on the
  // source, and did not boot again (no new uptime or `ready` in its serial log).
  check_reads_before(dst);
  CHECK(test::file_text(dst.serial).find("vmforge-guest: uptime_ms=") == std::string::npos);
  CHECK(test::file_text(dst.serial).find("vmforge-guest: ready") == std::string::npos);

  // `--incoming` left no drift: the VM's usual manifest plans no changes.
  CliResult plan = dst.cli({"plan", dst.manifest});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 0);
  CHECK(plan.out.find("No changes") != std::string::npos);
}

// Every PCI function QEMU has, as "bus:slot.function=id", bridges and root ports followed.
void pci_functions(const JsonValue& devices, std::vector<std::string>& out) {
  const JsonArray* list = devices.as_array();
  if (!list) return;
  for (const JsonValue& d : *list) {
    out.push_back(fmt::format("{}:{}.{}={}", d.get_uint64("bus").value_or(999), d.get_uint64("slot").value_or(999),
                              d.get_uint64("function").value_or(999), d.get_string("qdev_id").value_or("")));
    if (const JsonValue* below = d.find_path({"pci_bridge", "devices"})) pci_functions(*below, out);
  }
}

std::vector<std::string> pci_layout(const JsonValue& query_pci) {
  std::vector<std::string> out;
  if (const JsonArray* buses = query_pci.as_array()) {
    for (const JsonValue& bus : *buses) {
      if (const JsonValue* devices = bus.find("devices")) pci_functions(*devices, out);
    }
  }
  return out;
}

// The disk "hot" (serial "hot", its own image) and the NIC "eth1", both hot-pluggable.
std::string hot_devices(const test::TempDir& dir) {
  REQUIRE(test::create_disk_image(dir.file("hot.raw"), "raw", 8 << 20));
  return fmt::format("[[disk]]\nid = \"hot\"\nfile = \"{}\"\nformat = \"raw\"\nserial = \"hot\"\nhotplug = true\n"
                     "[[net]]\nid = \"eth1\"\nbackend = \"user\"\nmac = \"52:54:00:12:34:57\"\nhotplug = true\n",
                     dir.file("hot.raw"));
}

// Migrates `src`, whose devices changed live since its QEMU started, to a destination started
// from the manifest of now: the destination's QEMU is restarted with the source's PCI layout
// before the VM comes (the guest sees every device where it was), the guest does not boot again
// and `plan` there has no changes.
void migrate_changed(Source& src, const std::string& uri, const Written& written) {
  const std::vector<std::string> layout = pci_layout(src.vm.qmp(R"({"execute":"query-pci"})"));
  Destination dst(src, uri);
  dst.wait_inmigrate();
  migrate_to(src, dst, uri);
  CHECK(test::file_text(dst.log).find("restarting QEMU here with its PCI layout") != std::string::npos);

  CHECK(dst.status().get_string("run_state") == "running");
  CliResult pci = dst.cli({"qmp", "apt", R"({"execute":"query-pci"})"});
  auto dst_pci = parse_json(pci.out);
  REQUIRE(dst_pci);
  CHECK(pci_layout(*dst_pci) == layout);
  check_reads_before(dst, written);
  CHECK(test::file_text(dst.serial).find("vmforge-guest: ready") == std::string::npos);
  CliResult plan = dst.cli({"plan", dst.manifest});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 0);
  CHECK(plan.out.find("No changes") != std::string::npos);
}

// A disk and a NIC hot-plugged by `apply` after the start; the guest wrote on the new disk.
void migrate_with_hotplugged(const std::string& tcp_uri) {
  Source src;
  const std::string uri = tcp_uri.empty() ? unix_uri(src) : tcp_uri;
  src.apply(hot_devices(src.vm.dir()));
  src.vm.wait_report("nets", [](std::string_view v) { return v.find("eth1") != std::string_view::npos; });
  // The guest may see the NIC before it has probed the disk (the data disk is vda).
  src.vm.wait_report("block.vdb", [](std::string_view v) { return v.find("serial=hot") != std::string_view::npos; });
  REQUIRE(src.io->write("hot", 0, "hotdata", 64, test::kGuestReportTimeout));
  migrate_changed(src, uri, {{"hot", "hotdata"}});
}

}  // namespace

TEST_CASE("a running guest migrates over a unix socket with its uptime and disk data", "[qemu][migration]") {
  migrate_and_check("");
}

TEST_CASE("a running guest migrates over tcp on 127.0.0.1", "[qemu][migration]") {
  migrate_and_check(fmt::format("tcp:127.0.0.1:{}", test::free_tcp_port()));
}

TEST_CASE("a guest with a disk and a NIC hot-plugged since its start migrates over unix", "[qemu][migration]") {
  migrate_with_hotplugged("");
}

TEST_CASE("a guest with a disk and a NIC hot-plugged since its start migrates over tcp", "[qemu][migration]") {
  migrate_with_hotplugged(fmt::format("tcp:127.0.0.1:{}", test::free_tcp_port()));
}

TEST_CASE("a guest whose hot-plugged disk was removed since its start migrates", "[qemu][migration]") {
  const test::TempDir images = test::temp_dir();  // outlives the VMs
  Source src(hot_devices(images));
  const std::string booted = src.manifest;
  src.apply("");
  src.vm.wait_report("nets", [](std::string_view v) { return v.find("eth1") == std::string_view::npos; });
  const std::string uri = unix_uri(src);
  {
    // A destination started from the manifest the VM booted from has what the VM lost: it
    // refuses, says why on both sides, and the source runs on.
    const std::string now = std::exchange(src.manifest, booted);
    Destination stale(src, uri);
    src.manifest = now;
    stale.wait_inmigrate();
    CliResult refused = src.vm.cli({"migrate", "apt", "--to", uri});
    INFO(refused.out << refused.err << test::file_text(stale.log));
    CHECK(refused.status == 1);
    CHECK(refused.err.find("refused the migration of VM 'apt': its PCI devices do not fit the manifest here") !=
          std::string::npos);
    CHECK(refused.err.find("this manifest hot-plugs 'hot', 'eth1', which the running VM lacks") != std::string::npos);
    CHECK(refused.err.find("The VM keeps running here.") != std::string::npos);
    CHECK(test::file_text(stale.log).find("Refused the migration of VM 'apt'") != std::string::npos);
    check_source_runs(src);
  }
  migrate_changed(src, uri, {});
}

// pc hot-plugs onto pci.0 itself, each live addition into a slot the running VM has free:
// after h1 and h2 came and h1 went, h3 sits where a fresh start of the manifest of now would
// put h2. The destination, started from that manifest, takes the source's slots from the
// handshake; a disk in another slot would load the other disk's state, and each would then
// write through the other's file.
TEST_CASE("pc: disks hot-plugged into slots freed on pci.0 migrate in those slots", "[qemu][migration]") {
  const test::TempDir images = test::temp_dir();  // outlives the VMs
  auto hot = [&](std::string_view id) {
    REQUIRE(test::create_disk_image(images.file(fmt::format("{}.raw", id)), "raw", 8 << 20));
    return fmt::format("[[disk]]\nid = \"{0}\"\nfile = \"{1}\"\nformat = \"raw\"\nserial = \"{0}\"\nhotplug = true\n", id,
                       images.file(fmt::format("{}.raw", id)));
  };
  const std::string h1 = hot("h1"), h2 = hot("h2"), h3 = hot("h3");
  Source src("", "pc");
  src.apply(h1 + h2);
  src.vm.wait_report("block.vdc", [](std::string_view v) { return v.find("serial=h2") != std::string_view::npos; });
  src.apply(h2);
  src.apply(h2 + h3);
  src.vm.wait_report("block.vdb", [](std::string_view v) { return v.find("serial=h3") != std::string_view::npos; });
  REQUIRE(src.io->write("h2", 0, "second", 64, test::kGuestReportTimeout));
  REQUIRE(src.io->write("h3", 0, "third", 64, test::kGuestReportTimeout));
  migrate_changed(src, unix_uri(src), {{"h2", "second"}, {"h3", "third"}});
}

TEST_CASE("Ctrl-C cancels a migration: the source runs on, the destination ends non-zero", "[qemu][migration]") {
  Source src;
  const std::string uri = unix_uri(src);
  Destination dst(src, uri);
  dst.wait_inmigrate();

  // 1 MiB/s: 512 MiB of RAM would take minutes.
  launch::Process cli = start_migrate(src.vm, uri, {"--bandwidth", "1M"});
  wait_active(src.vm);
  // Its progress, a line a second (stderr is no terminal here).
  bool progress = false;
  for (int i = 0; i < 100 && !progress; ++i) {
    progress = cli.stderr_text(4096).find("Migrating (active: ") != std::string::npos;
    if (!progress) std::this_thread::sleep_for(100ms);
  }
  CHECK(progress);
  CHECK(cli.stderr_text(4096).find(" MiB remaining, dirtying ") != std::string::npos);
  REQUIRE(cli.signal(SIGINT));
  auto ended = cli.wait(30s);
  REQUIRE(ended);
  INFO(cli.stderr_text(4096) << src.vm.log());
  CHECK(ended->value == 1);
  CHECK(cli.stderr_text(4096).find("Migration cancelled; the VM keeps running here.") != std::string::npos);

  check_source_runs(src);
  auto dst_ended = dst.supervisor->wait(30s);
  REQUIRE(dst_ended);
  CHECK_FALSE(dst_ended->success());
  dst.supervisor.reset();
  CHECK(test::file_text(dst.log).find("The incoming migration of VM 'apt'") != std::string::npos);
}

TEST_CASE("a migration whose destination dies leaves the source running", "[qemu][migration]") {
  Source src;
  const std::string uri = unix_uri(src);
  Destination dst(src, uri);
  dst.wait_inmigrate();
  const auto qemu = dst.status().get_int64("qemu_pid");
  REQUIRE(qemu);

  launch::Process cli = start_migrate(src.vm, uri, {"--bandwidth", "1M"});
  wait_active(src.vm);
  REQUIRE(kill(static_cast<pid_t>(*qemu), SIGKILL) == 0);
  auto ended = cli.wait(60s);
  REQUIRE(ended);
  const std::string err = cli.stderr_text(4096);
  INFO(err << src.vm.log());
  CHECK(ended->value == 1);
  CHECK(err.find("Migration of VM 'apt' to '" + uri + "' failed: ") != std::string::npos);
  CHECK(err.find("The VM keeps running here.") != std::string::npos);
  check_source_runs(src);
}

TEST_CASE("--wait-for-destination retries until the destination listens", "[qemu][migration]") {
  Source src;
  const std::string uri = unix_uri(src);
  CliResult refused = src.vm.cli({"migrate", "apt", "--to", uri});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("Migration of VM 'apt' to '" + uri + "' failed: ") != std::string::npos);

  launch::Process cli = start_migrate(src.vm, uri, {"--wait-for-destination", "60"});
  std::this_thread::sleep_for(1s);
  Destination dst(src, uri);
  auto ended = cli.wait(120s);
  REQUIRE(ended);
  INFO(cli.stderr_text(4096) << src.vm.log() << test::file_text(dst.log));
  CHECK(ended->value == 0);
  auto src_ended = src.vm.supervisor().wait(30s);
  REQUIRE(src_ended);
  CHECK(src_ended->success());
  src.vm.forget_supervisor();
}

TEST_CASE("[migration] sets the bandwidth; --detach leaves the migration to the supervisor", "[qemu][migration]") {
  // 1 MiB/s from the manifest: the migration waits for the test to speed it up.
  Source src("[migration]\nbandwidth = \"1M\"\n");
  const std::string uri = unix_uri(src);
  Destination dst(src, uri);
  dst.wait_inmigrate();

  CliResult detached = src.vm.cli({"migrate", "apt", "--to", uri, "--detach"});
  INFO(detached.out << detached.err << src.vm.log());
  REQUIRE(detached.status == 0);
  CHECK(detached.out == fmt::format("Migration of VM 'apt' to '{}' started; 'vmforge status apt' shows its "
                                    "progress.\n",
                                    uri));
  CHECK(src.vm.qmp(R"({"execute":"query-migrate-parameters"})").get_uint64("max-bandwidth") == 1u << 20);
  // The supervisor carries it on: `status` shows its progress.
  bool shown = false;
  for (int i = 0; i < 100 && !shown; ++i) {
    CliResult status = src.vm.cli({"status", "apt", "--json"});
    auto json = parse_json(status.out);
    REQUIRE(json);
    const JsonValue* migration = json->find("migration");
    shown = migration && migration->get_string("status") == "active";
    if (!shown) std::this_thread::sleep_for(100ms);
  }
  CHECK(shown);
  CHECK(src.vm.cli({"status", "apt"}).out.find("  Migration: active: ") != std::string::npos);
  // Nothing changes its devices or disks meanwhile: the destination would not have them.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"apply", src.manifest}, {"snapshot", "apt", "s1"}, {"backup", "apt", "--to", "/tmp"}}) {
    CliResult refused = src.vm.cli(args);
    INFO(args.front() << ": " << refused.out << refused.err);
    CHECK(refused.status == 1);
    CHECK((refused.out + refused.err).find(fmt::format("VM 'apt' is migrating: '{}' is refused until the migration "
                                                       "has ended",
                                                       args.front())) != std::string::npos);
  }
  src.vm.qmp(R"({"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824}})");

  auto ended = src.vm.supervisor().wait(60s);
  REQUIRE(ended);
  CHECK(ended->success());
  src.vm.forget_supervisor();
  CHECK(src.vm.log().find(fmt::format("VM 'apt' migrated to '{}'", uri)) != std::string::npos);
  CliResult plan = dst.cli({"plan", dst.manifest});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 0);
}

TEST_CASE("[migration] multifd: both ends take its channels from the manifest", "[qemu][migration]") {
  Source src("[migration]\nmultifd = 2\n");
  const std::string uri = unix_uri(src);
  Destination dst(src, uri);
  dst.wait_inmigrate();
  CliResult caps = dst.cli({"qmp", "apt", R"({"execute":"query-migrate-capabilities"})"});
  INFO(caps.out);
  CHECK(caps.out.find(R"({"state":true,"capability":"multifd"})") != std::string::npos);
  CHECK(caps.out.find(R"({"state":false,"capability":"postcopy-ram"})") != std::string::npos);
  migrate_to(src, dst, uri);
  CHECK(dst.status().get_string("run_state") == "running");
  check_reads_before(dst);
}
