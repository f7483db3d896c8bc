// Integration tests of `vmforge run` with real QEMU (TCG) and the test guest: readiness over
// NOTIFY_SOCKET, the guest's report, every way a VM ends, one supervisor per VM, adoption, QEMU
// run as another user.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_writer.hpp"
#include "compiler/base/read_file.hpp"
#include "compiler/base/sha256.hpp"
#include "supervisor/core/control_client.hpp"
#include "supervisor/core/pidfile.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/supervisor/core/notify_listener.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/serial_report.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

// A manifest for VM `name` in `dir`. With a guest it boots the test guest with a hot-plugged
// disk and a NIC; without, it is firmware only: nothing there answers the power button.
std::string write_manifest(const test::TempDir& dir, const std::string& name, bool guest_os,
                           const std::string& shutdown_timeout = "20s", const std::string& extra = "") {
  std::string text = fmt::format(R"(name = "{}"
[machine]
type = "q35"
accel = ["tcg"]
hotplug_slots = 2
[memory]
size = "256M"
[[serial]]
id = "console"
backend = "file"
path = "{}"
[supervisor]
shutdown_timeout = "{}"
)",
                                 name, dir.file("serial.log"), shutdown_timeout);
  if (guest_os) {
    auto guest = test::find_guest();
    REQUIRE(guest);
    std::string disk = dir.file("data.img");
    std::ofstream(disk).close();
    REQUIRE(truncate(disk.c_str(), 8 << 20) == 0);
    text += fmt::format(R"([kernel]
path = "{}"
initrd = "{}"
cmdline = "{}"
[[net]]
id = "eth0"
backend = "user"
[[disk]]
id = "data"
file = "{}"
format = "raw"
serial = "data1"
hotplug = true
)",
                        guest->kernel, guest->initrd, test::kGuestCmdline, disk);
  }
  std::string path = dir.file(name + ".toml");
  std::ofstream(path) << text << extra;
  return path;
}

// Alive and not a zombie (an orphaned QEMU is reaped by whoever adopted it, maybe late).
bool running(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string pid_field, comm, state;
  return static_cast<bool>(stat >> pid_field >> comm >> state) && state != "Z";
}

// /proc/PROCESS/cmdline with spaces between the arguments; "" for a process that is gone.
std::string cmdline_of(const std::string& process) {
  std::string text = read_file(fmt::format("/proc/{}/cmdline", process)).value_or("");
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// The value of `name` in /proc/PROCESS/environ; "" when it has none.
std::string environ_value(pid_t process, const std::string& name) {
  std::string text = read_file(fmt::format("/proc/{}/environ", process)).value_or("");
  const std::string key = '\0' + name + '=';
  const auto at = ('\0' + text).find(key);
  if (at == std::string::npos) return "";
  const auto begin = at + key.size() - 1;
  return text.substr(begin, text.find('\0', begin) - begin);
}

// The first of the tunables supervisor/core/qemu_environment.cpp gives QEMU: glibc's parser
// overwrites each ':' of the variable in place, so /proc shows QEMU's up to the first.
constexpr std::string_view kQemuTunable = "glibc.malloc.mmap_threshold=4194304";

// A test's directory. When the test ends, whatever QEMU a pidfile below it still names is
// killed: a failed test must not leave an orphaned QEMU behind (adoption makes them outlive
// their supervisor on purpose).
struct TestDir {
  test::TempDir dir = test::temp_dir();
  ~TestDir() {
    std::error_code ec;
    for (const auto& vm : std::filesystem::directory_iterator(dir.file("run"), ec)) {
      auto pid = supervisor::read_pidfile(vm.path().string() + "/qemu.pid");
      if (pid && running(*pid)) kill(*pid, SIGKILL);
    }
  }
};

// `vmforge run MANIFEST --runtime-dir DIR/run` with its stderr in DIR/NAME.err.
launch::Process start_run(const test::TempDir& dir, const std::string& manifest, const std::string& tag) {
  launch::SpawnOptions options;
  options.argv = {std::getenv("VMFORGE_BINARY"), "run", manifest, "--runtime-dir", dir.file("run")};
  options.stderr_file = dir.file(tag + ".err");
  auto process = launch::spawn(options);
  REQUIRE(process);
  return std::move(*process);
}

Result<JsonValue> control(const test::TempDir& dir, const std::string& name, const std::string& request) {
  VMFORGE_TRY(auto client, supervisor::ControlClient::connect(dir.file("run/" + name + "/control.sock"), name));
  return client.call(request, 30s);
}

launch::ExitStatus wait_exit(launch::Process& process, std::chrono::milliseconds timeout = 90s) {
  auto status = process.wait(timeout);
  REQUIRE(status);
  return *status;
}

// `vmforge events NAME --json`, once subscribed: it printed the current state (polled: it is
// another process's output).
launch::Process follow_events(const test::TempDir& dir, const std::string& name) {
  launch::SpawnOptions follow;
  follow.argv = {std::getenv("VMFORGE_BINARY"), "events", name, "--json", "--runtime-dir", dir.file("run")};
  follow.capture_stdout = true;
  auto events = launch::spawn(follow);
  REQUIRE(events);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (events->stdout_text().find(R"("event":"STATE")") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(10000);
  }
  return std::move(*events);
}

}  // namespace

TEST_CASE("run is ready once the guest runs; SIGTERM powers it off cleanly", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  std::string manifest = write_manifest(dir, "t1", true);
  auto run = start_run(dir, manifest, "t1");
  CHECK(notify.wait_for("READY=1", 60000).find("STATUS=VM 't1' is running") != std::string::npos);

  test::SerialReport report(dir.file("serial.log"));
  auto seen = report.wait_for(
      [](const test::ReportValues& v) {
        return v.ready() && test::report_list_has(v["blocks"], "vda") && test::report_list_has(v["nets"], "eth0");
      },
      test::kGuestBootTimeout, "the hot-plugged disk and the NIC");
  REQUIRE(seen);
  CHECK(test::report_field((*seen)["block.vda"], "serial") == "data1");

  // Confined by default (README, Running VMs): run as root, QEMU is vmforge-qemu with no
  // capabilities, no_new_privs and its seccomp filter; it reached the disk and the serial log
  // in this 0700 root directory through fds, and the log is private.
  auto qemu = supervisor::read_pidfile(dir.file("run/t1/qemu.pid"));
  REQUIRE(qemu);
  const std::string qemu_status = read_file(fmt::format("/proc/{}/status", *qemu)).value_or("");
  if (geteuid() == 0) {
    CHECK_THAT(qemu_status, !Catch::Contains("\nUid:\t0\t"));
    CHECK_THAT(qemu_status, Catch::Contains("\nCapPrm:\t0000000000000000\n"));
    CHECK_THAT(qemu_status, Catch::Contains("\nCapEff:\t0000000000000000\n"));
    CHECK_THAT(qemu_status, Catch::Contains("\nCapBnd:\t0000000000000000\n"));
    CHECK_THAT(qemu_status, Catch::Contains("\nCapAmb:\t0000000000000000\n"));
  }
  CHECK_THAT(qemu_status, Catch::Contains("\nNoNewPrivs:\t1\n"));
  CHECK_THAT(qemu_status, Catch::Contains("\nSeccomp:\t2\n"));
  struct stat log_stat {};
  REQUIRE(stat(dir.file("serial.log").c_str(), &log_stat) == 0);
  CHECK((log_stat.st_mode & 0777) == 0600);
  CHECK(log_stat.st_uid == geteuid());

  auto status = control(dir, "t1", R"({"request":"status"})");
  REQUIRE(status);
  CHECK(status->get_string("state") == "running");
  CHECK(status->find_path({"qemu_status", "status"})->as_string() == "running");

  auto cli = launch::run({std::getenv("VMFORGE_BINARY"), "status", "t1", "--runtime-dir", dir.file("run")}, 30s);
  REQUIRE(cli);
  CHECK(cli->find("t1 - running\n") == 0);
  cli = launch::run(
      {std::getenv("VMFORGE_BINARY"), "qmp", "t1", R"({"execute":"query-status"})", "--runtime-dir", dir.file("run")},
      30s);
  REQUIRE(cli);
  CHECK(cli->find(R"("status":"running")") != std::string::npos);

  auto events = follow_events(dir, "t1");
  REQUIRE(events.stdout_text().find(R"({"event":"STATE","source":"supervisor","data":{"state":"running"}})") == 0);

  REQUIRE(run.signal(SIGTERM));
  CHECK(report.wait_for([](const test::ReportValues& v) { return v.powered_off(); }, 30s, "poweroff"));
  auto exit = wait_exit(run);
  CHECK(exit.success());
  CHECK(wait_exit(events, 30s).success());  // the stream ends when the supervisor exits
  std::string stream = events.stdout_text();
  CHECK(stream.find(R"({"event":"POWERDOWN","source":"qmp")") != std::string::npos);
  CHECK(stream.find(R"({"event":"SHUTDOWN","source":"qmp","data":{"guest":true,"reason":"guest-shutdown"})") !=
        std::string::npos);
  std::string log = run.stderr_text();
  CHECK(log.find("Received SIGTERM: stopping the VM.") != std::string::npos);
  CHECK(log.find("Sending ACPI power button event to the guest") != std::string::npos);
  CHECK(log.find("VM 't1' stopped.") != std::string::npos);
  CHECK(access(dir.file("run/t1/qemu.pid").c_str(), F_OK) != 0);
}

TEST_CASE("watchdog pings while QMP answers; a guest that ignores the power button is quit after the timeout",
          "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  setenv("WATCHDOG_USEC", "2000000", 1);  // WatchdogSec=2s: a ping per second while QMP answers
  auto run = start_run(dir, write_manifest(dir, "t2", false, "1s"), "t2");
  unsetenv("WATCHDOG_USEC");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  CHECK(notify.wait_for("WATCHDOG=1", 5000) == "WATCHDOG=1");
  CHECK(notify.wait_for("WATCHDOG=1", 5000) == "WATCHDOG=1");
  auto stop = control(dir, "t2", R"({"request":"stop"})");
  REQUIRE(stop);
  CHECK(notify.wait_for("STOPPING=1", 10000).find("EXTEND_TIMEOUT_USEC=21000000") != std::string::npos);
  auto exit = wait_exit(run, 30s);
  CHECK(exit.success());
  std::string log = run.stderr_text();
  CHECK(log.find("The guest did not power off within 1s; quitting QEMU.") != std::string::npos);
  CHECK(log.find("VM 't2' stopped.") != std::string::npos);
}

// Without start-up steps `cont` goes out right behind qmp_capabilities; `stopped` holds it back.
TEST_CASE("ready means running, or paused when [knobs] stopped = true", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  bool stopped = GENERATE(false, true);
  std::string name = stopped ? "t11" : "t12";
  test::NotifyListener notify(dir.file("notify"));
  auto run = start_run(dir, write_manifest(dir, name, false, "1s", stopped ? "[knobs]\nstopped = true\n" : ""), name);
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  auto status = control(dir, name, R"({"request":"qmp","command":{"execute":"query-status"}})");
  REQUIRE(status);
  INFO(status->to_json());
  CHECK(status->get_bool("running") == !stopped);
  CHECK(status->get_string("status") == (stopped ? "prelaunch" : "running"));
  auto qemu = supervisor::read_pidfile(dir.file("run/" + name + "/qemu.pid"));
  REQUIRE(qemu);
  CHECK(environ_value(*qemu, "GLIBC_TUNABLES") == kQemuTunable);
  // The supervisor sends commands without ids and matches replies in order: a user's id is not
  // passed on, an out-of-band command is refused.
  auto with_id = control(dir, name, R"({"request":"qmp","command":{"execute":"query-status","id":"mine"}})");
  REQUIRE(with_id);
  CHECK(with_id->to_json() == status->to_json());
  auto oob = control(dir, name, R"({"request":"qmp","command":{"exec-oob":"migrate-pause"}})");
  REQUIRE_FALSE(oob);
  CHECK(oob.error().message.find(R"(Out-of-band QMP commands ("exec-oob") are not supported: use "execute".)") !=
        std::string::npos);
  REQUIRE(control(dir, name, R"({"request":"stop"})"));
  CHECK(wait_exit(run, 30s).success());
}

TEST_CASE("a closed stderr does not kill the supervisor: the VM still stops cleanly", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  int ends[2];
  REQUIRE(pipe2(ends, O_CLOEXEC) == 0);
  close(ends[0]);  // as `vmforge run ... | head` once head has exited
  UniqueFd stderr_pipe(ends[1]);
  launch::SpawnOptions options;
  options.argv = {std::getenv("VMFORGE_BINARY"), "run", write_manifest(dir, "t12", false), "--runtime-dir",
                  dir.file("run")};
  options.fds.push_back({stderr_pipe.get(), 2});
  auto run = launch::spawn(options);
  REQUIRE(run);
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  pid_t qemu = *supervisor::read_pidfile(dir.file("run/t12/qemu.pid"));
  REQUIRE(run->signal(SIGTERM));  // its log lines now fail with EPIPE
  REQUIRE(run->signal(SIGTERM));  // no guest to wait for: quit
  CHECK(wait_exit(*run, 30s).success());
  CHECK_FALSE(running(qemu));
}

TEST_CASE("QEMU killed behind the supervisor's back ends it with a non-zero status", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  auto run = start_run(dir, write_manifest(dir, "t3", false), "t3");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  auto pid = supervisor::read_pidfile(dir.file("run/t3/qemu.pid"));
  REQUIRE(pid);
  REQUIRE(kill(*pid, SIGKILL) == 0);
  auto exit = wait_exit(run, 30s);
  CHECK_FALSE(exit.success());
  std::string log = run.stderr_text();
  INFO(log);
  // QEMU's own last output, if it printed any, follows the sentence.
  CHECK(log.find(fmt::format("QEMU (PID {}) was killed by signal SIGKILL unexpectedly; VM 't3' is down.", *pid)) !=
        std::string::npos);
}

TEST_CASE("a second run is refused; a new run adopts the QEMU of a killed supervisor", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  std::string manifest = write_manifest(dir, "t4", true);
  auto first = start_run(dir, manifest, "first");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  pid_t qemu = *supervisor::read_pidfile(dir.file("run/t4/qemu.pid"));

  auto second = start_run(dir, manifest, "second");
  CHECK(wait_exit(second, 30s).value == 1);
  CHECK(second.stderr_text().find(fmt::format("VM 't4' is already running under supervisor PID {}", first.pid())) !=
        std::string::npos);

  REQUIRE(first.signal(SIGKILL));
  wait_exit(first, 30s);
  REQUIRE(running(qemu));  // QEMU lives on without its supervisor

  auto third = start_run(dir, manifest, "third");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  CHECK(third.stderr_text().find(fmt::format("Adopted QEMU (PID {}) of VM 't4'.", qemu)) != std::string::npos);
  auto status = control(dir, "t4", R"({"request":"status"})");
  REQUIRE(status);
  CHECK(status->get_int64("qemu_pid") == qemu);
  CHECK(status->get_bool("adopted") == true);
  auto qmp = control(dir, "t4", R"({"request":"qmp","command":{"execute":"query-named-block-nodes"}})");
  REQUIRE(qmp);
  CHECK(qmp->to_json().find("\"node-name\":\"data.") != std::string::npos);

  test::SerialReport report(dir.file("serial.log"));
  REQUIRE(report.wait_ready(test::kGuestBootTimeout));
  REQUIRE(third.signal(SIGTERM));
  CHECK(report.wait_for([](const test::ReportValues& v) { return v.powered_off(); }, 30s, "poweroff"));
  CHECK(wait_exit(third).success());
  CHECK_FALSE(running(qemu));
}

TEST_CASE("run builds the cloud-init seed and hands it to QEMU", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  std::ofstream(dir.file("user-data")) << "#cloud-config\nhostname: t5\n";
  std::ofstream(dir.file("meta-data")) << "instance-id: t5\n";
  auto run = start_run(dir, write_manifest(dir, "t5", true, "20s", R"([cloud_init]
user_data = "user-data"
meta_data = "meta-data"
)"),
                       "t5");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  test::SerialReport report(dir.file("serial.log"));
  auto seen = report.wait_for(
      [](const test::ReportValues& v) {
        for (const auto& [key, value] : v.all()) {
          if (key.ends_with(".user-data")) return test::decode_report_value(value) == "#cloud-config\nhostname: t5\n";
        }
        return false;
      },
      test::kGuestBootTimeout, "the seed's user-data");
  CHECK(seen);
  REQUIRE(run.signal(SIGTERM));
  CHECK(wait_exit(run).success());
}

TEST_CASE("QEMU runs as the [qemu] uid, gid and groups; the VM boots and stops cleanly", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  // QEMU opens the manifest's own files (serial log, disk, kernel) as 'nobody'. What vmforge
  // makes for it (QMP socket, log, seed) stays in the 0700 state directory and reaches it as fds.
  REQUIRE(chown(dir.path().c_str(), 65534, 65534) == 0);
  test::NotifyListener notify(dir.file("notify"));
  std::ofstream(dir.file("user-data")) << "#cloud-config\nhostname: t9\n";
  std::ofstream(dir.file("meta-data")) << "instance-id: t9\n";
  std::string manifest = write_manifest(dir, "t9", true, "20s", R"([qemu]
uid = 65534
gid = 65534
groups = [65534, 100]
[cloud_init]
user_data = "user-data"
meta_data = "meta-data"
)");
  REQUIRE(chown(dir.file("data.img").c_str(), 65534, 65534) == 0);
  auto run = start_run(dir, manifest, "t9");
  CHECK(notify.wait_for("READY=1", 60000).find("STATUS=VM 't9' is running") != std::string::npos);
  auto qemu = supervisor::read_pidfile(dir.file("run/t9/qemu.pid"));
  REQUIRE(qemu);
  std::ifstream in(fmt::format("/proc/{}/status", *qemu));
  std::string status((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(status, Catch::Contains("\nUid:\t65534\t65534\t65534\t65534\n"));
  CHECK_THAT(status, Catch::Contains("\nGid:\t65534\t65534\t65534\t65534\n"));
  CHECK_THAT(status, Catch::Contains("\nGroups:\t100 65534 \n"));
  // The environment through the fork path too (which switches the user).
  CHECK(environ_value(*qemu, "GLIBC_TUNABLES") == kQemuTunable);
  struct stat state {};
  REQUIRE(stat(dir.file("run/t9").c_str(), &state) == 0);
  CHECK(state.st_uid == 0);
  CHECK((state.st_mode & 0777) == 0700);

  // The disk QEMU opened as 'nobody' when it was hot-plugged during start-up.
  test::SerialReport report(dir.file("serial.log"));
  CHECK(report.wait_for(
      [](const test::ReportValues& v) { return v.ready() && test::report_list_has(v["blocks"], "vda"); },
      test::kGuestBootTimeout, "the hot-plugged disk"));
  REQUIRE(run.signal(SIGTERM));
  CHECK(report.wait_for([](const test::ReportValues& v) { return v.powered_off(); }, 30s, "poweroff"));
  CHECK(wait_exit(run).success());
  CHECK(run.stderr_text().find("VM 't9' stopped.") != std::string::npos);
}

TEST_CASE("a qcow2's header never chooses a host file; a backing the manifest names is used", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  // A host file the guest must not see unless the manifest says so: an ISO 9660 image, whose
  // label the guest reports (guest/README.md).
  REQUIRE(::mkdir(dir.file("iso").c_str(), 0700) == 0);
  std::ofstream(dir.file("iso/secret")) << "host only\n";
  const std::string host_file = dir.file("host.iso");
  REQUIRE(launch::run({"genisoimage", "-quiet", "-V", "HOSTFILE", "-o", host_file, dir.file("iso")}, 30s));
  // evil.qcow2 names host.iso as its backing file in its header; chosen.qcow2 names nothing.
  const std::string evil = dir.file("evil.qcow2"), chosen = dir.file("chosen.qcow2");
  REQUIRE(launch::run({"qemu-img", "create", "-q", "-f", "qcow2", "-b", host_file, "-F", "raw", evil}, 30s));
  REQUIRE(launch::run({"qemu-img", "create", "-q", "-f", "qcow2", chosen, "4M"}, 30s));
  test::NotifyListener notify(dir.file("notify"));
  std::string manifest = write_manifest(dir, "t11", true, "20s",
                                        fmt::format(R"([[disk]]
id = "evil"
file = "{}"
format = "qcow2"
serial = "evil"
[[disk]]
id = "chosen"
file = "{}"
format = "qcow2"
serial = "chosen"
backing = {{ file = "{}", format = "raw" }}
hotplug = true
)",
                                                    evil, chosen, host_file));
  auto run = start_run(dir, manifest, "t11");
  INFO(run.stderr_text());
  CHECK(notify.wait_for("READY=1", 60000).find("STATUS=VM 't11' is running") != std::string::npos);
  test::SerialReport report(dir.file("serial.log"));
  auto seen = report.wait_for(
      [](const test::ReportValues& v) {
        return v.ready() && test::report_list_has(v["blocks"], "vdb") && test::report_list_has(v["blocks"], "vdc");
      },
      test::kGuestBootTimeout, "both qcow2 disks");
  REQUIRE(seen);
  std::string evil_seen, chosen_seen;
  for (const char* dev : {"block.vda", "block.vdb", "block.vdc"}) {
    const std::string line((*seen)[dev]);
    if (test::report_field(line, "serial") == "evil") evil_seen = line;
    if (test::report_field(line, "serial") == "chosen") chosen_seen = line;
  }
  CHECK(evil_seen.find("serial=evil") != std::string::npos);
  CHECK(evil_seen.find("HOSTFILE") == std::string::npos);          // QEMU did not follow the header
  CHECK(chosen_seen.find("label=HOSTFILE") != std::string::npos);  // the manifest's backing, hot-plugged
  REQUIRE(run.signal(SIGTERM));
  CHECK(wait_exit(run).success());
}

TEST_CASE("a supervisor that is not root cannot honour [qemu] uid: the start fails and says what to do", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  REQUIRE(chown(dir.path().c_str(), 65534, 65534) == 0);
  std::string manifest = write_manifest(dir, "t10", false, "20s", "[qemu]\nuid = 65534\ngid = 65534\n");
  launch::SpawnOptions options;
  options.argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", std::getenv("VMFORGE_BINARY"),
                  "run",     manifest,        "--runtime-dir", dir.file("run")};
  auto run = launch::spawn(options);
  REQUIRE(run);
  CHECK(wait_exit(*run, 30s).value == 1);
  std::string log = run->stderr_text();
  INFO(log);
  CHECK(log.find("Failed to start VM 't10': Failed to drop the supplementary groups for 'qemu-system-x86_64': "
                 "Operation not permitted. Switching QEMU to another user ([qemu] 'user', or 'uid' and 'gid') needs "
                 "root: run vmforge as root, or remove those keys.") != std::string::npos);
}

// Whether any process runs with `needle` in its command line.
bool any_process_with(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = cmdline_of(entry.path().filename().string());
    if (cmdline.find(needle) != std::string::npos && cmdline.find("qemu-system") != std::string::npos) return true;
  }
  return false;
}

// QEMU exits at once and closes the QMP listening socket: whether the supervisor's connect
// came before (EOF on QMP) or after (refused), QEMU's own words are reported. The race went
// the wrong way in 2 runs of 20: 20 runs catch it.
TEST_CASE("a QEMU that refuses to start is reported in its own words", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  std::string manifest = write_manifest(dir, "t6", false, "20s", "[qemu]\nextra_args = [\"-bogus-option\"]\n");
  for (int round = 0; round < 20; ++round) {
    auto run = start_run(dir, manifest, "t6");
    CHECK(wait_exit(run, 30s).value == 1);
    std::string log = run.stderr_text();
    INFO("round " << round << ": " << log);
    CHECK(log.find("Failed to start VM 't6': QEMU (PID ") != std::string::npos);
    CHECK(log.find("exited with status 1 during start-up. Its last output: qemu-system-x86_64: "
                   "-bogus-option: invalid option") != std::string::npos);
    CHECK(log.find("Connection refused") == std::string::npos);
  }
}

// A QEMU that waits for a peer on a chardev with wait=on never greets on QMP and uses no CPU:
// the start fails with QEMU's own words, and QEMU is stopped. QEMU creates that socket itself,
// so as root (QEMU is vmforge-qemu) its directory is that user's, as the README says.
TEST_CASE("a QEMU stuck before its QMP greeting fails the start with the cause", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  REQUIRE(::mkdir(dir.file("sockets").c_str(), 0700) == 0);
  if (geteuid() == 0) {
    const passwd* qemu_user = getpwnam("vmforge-qemu");
    REQUIRE(qemu_user);
    REQUIRE(::chown(dir.file("sockets").c_str(), qemu_user->pw_uid, qemu_user->pw_gid) == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0711) == 0);
  }
  std::string blocker = dir.file("sockets/b.sock");
  auto run = start_run(dir,
                       write_manifest(dir, "t13", false, "20s",
                                      fmt::format(R"([qemu]
extra_args = ["-chardev", "socket,id=blocker,path={},server=on,wait=on"]
)",
                                                  blocker)),
                       "t13");
  CHECK(wait_exit(run, 60s).value == 1);
  std::string log = run.stderr_text();
  INFO(log);
  CHECK(log.find("has not greeted on its QMP socket and made no progress for 10s: it is waiting for something") !=
        std::string::npos);
  CHECK(log.find("QEMU waiting for connection on: disconnected:unix:" + blocker) != std::string::npos);
  CHECK_FALSE(any_process_with("guest=t13"));
}

// fake_qemu (next to this test) as QEMU: a QMP peer that misbehaves before READY.
std::string fake_qemu() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "fake_qemu").string();
}

TEST_CASE("a QMP peer that fails before READY fails the start with the cause and is stopped", "[run]") {
  struct Case {
    const char* script;
    const char* cause;
  };
  auto c = GENERATE(Case{"garbage", "QMP peer sent an invalid message"},
                    Case{"mute", "QMP capabilities negotiation failed: QMP command 'qmp_capabilities' timed out after "
                                 "10000 ms"},
                    Case{"hangup", "Lost the QMP connection to QEMU (PID "},
                    Case{"asleep", "has not greeted on its QMP socket and made no progress"});
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  setenv("VMFORGE_FAKE_QEMU", c.script, 1);
  auto run = start_run(
      dir, write_manifest(dir, "t14", false, "20s", fmt::format("[qemu]\nbinary = \"{}\"\n", fake_qemu())), "t14");
  unsetenv("VMFORGE_FAKE_QEMU");
  auto exit = wait_exit(run, 60s);
  std::string log = run.stderr_text();
  INFO(c.script << ": " << log);
  CHECK(exit.value == 1);
  CHECK(log.find("Failed to start VM 't14': ") != std::string::npos);
  CHECK(log.find(c.cause) != std::string::npos);
  CHECK(log.find(fmt::format("Its last output: fake_qemu: playing '{}'", c.script)) != std::string::npos);
  CHECK(log.find("sending SIGTERM to QEMU") != std::string::npos);  // and nothing is left running
  CHECK_FALSE(std::filesystem::exists(dir.file("run/t14/qemu.pid")));
}

TEST_CASE("a named fd vmforge did not inherit is refused before QEMU runs", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  // start_run passes no fd but 0-2: fd 9 is whatever vmforge opens there itself, or nothing.
  auto run = start_run(dir, write_manifest(dir, "t15", false, "20s", "[incoming]\nmode = \"fd\"\nfd = 9\n"), "t15");
  CHECK(wait_exit(run, 30s).value == 1);
  std::string log = run.stderr_text();
  INFO(log);
  CHECK(log.find("The manifest passes fd 9 to QEMU, but vmforge did not inherit an open fd 9") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("run/t15/qemu.log")));  // QEMU was never started
}

TEST_CASE("status of a VM without a supervisor answers in JSON too", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  launch::SpawnOptions options;
  options.argv = {std::getenv("VMFORGE_BINARY"), "status", "nosuch", "--json", "--runtime-dir", dir.file("run")};
  options.capture_stdout = true;
  auto status = launch::spawn(options);
  REQUIRE(status);
  CHECK(wait_exit(*status, 30s).value == 1);
  auto json = parse_json(status->stdout_text());
  REQUIRE(json);
  CHECK(json->get_string("name") == "nosuch");
  CHECK(json->get_string("state") == "stopped");
  CHECK(json->get_string("run_state") == "stopped");
  CHECK(json->get_bool("healthy") == false);
}

TEST_CASE("a VFIO function the host cannot pass through stops the start before QEMU runs", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  auto run = start_run(
      dir, write_manifest(dir, "t11", false, "20s", "[[vfio]]\nid = \"pt0\"\nhost = \"0000:ff:1f.7\"\n"), "t11");
  CHECK(wait_exit(run, 30s).value == 1);
  std::string log = run.stderr_text();
  INFO(log);
  CHECK(log.find("Failed to start VM 't11': 'vfio:pt0': PCI device '0000:ff:1f.7' does not exist on this host") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("run/t11/qemu.log")));  // QEMU was never started
}

TEST_CASE("a failure after QEMU was spawned leaves nothing running", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  // QEMU is spawned before the control socket is opened; a directory in its place fails that.
  std::filesystem::create_directories(dir.file("run/t8/control.sock/blocker"));
  std::filesystem::permissions(dir.file("run/t8"), std::filesystem::perms::owner_all);
  auto run = start_run(dir, write_manifest(dir, "t8", false), "t8");
  CHECK(wait_exit(run, 30s).value == 1);
  std::string log = run.stderr_text();
  INFO(log);
  CHECK(log.find("Failed to start VM 't8': ") != std::string::npos);
  CHECK(log.find("control.sock") != std::string::npos);
  CHECK(std::filesystem::exists(dir.file("run/t8/qemu.log")));  // QEMU was started
  CHECK_FALSE(std::filesystem::exists(dir.file("run/t8/qemu.pid")));
  CHECK_FALSE(std::filesystem::exists(dir.file("run/t8/qmp.sock")));
  CHECK_FALSE(any_process_with("guest=t8"));
}

TEST_CASE("a restart with a new argv keeps the service up: no STOPPING=1", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  std::string manifest = write_manifest(dir, "t7", false, "1s");
  auto run = start_run(dir, manifest, "t7");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  pid_t before = *supervisor::read_pidfile(dir.file("run/t7/qemu.pid"));

  std::ifstream in(manifest);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("size = \"256M\""), 13, "size = \"384M\"");
  JsonWriter request;
  request.begin_object().field("request", "apply").field("path", manifest).field("text", text);
  request.field("allow_restart", true).end_object();
  auto applied = control(dir, "t7", request.str());
  REQUIRE(applied);
  CHECK(applied->get_bool("restarted") == true);

  std::vector<std::string> messages;
  for (std::string m = notify.receive(1000); !m.empty(); m = notify.receive(1000)) messages.push_back(m);
  CHECK(std::find(messages.begin(), messages.end(), "STATUS=Restarting QEMU with the new command line.") !=
        messages.end());
  for (const std::string& m : messages) CHECK(m.find("STOPPING=1") == std::string::npos);
  pid_t after = *supervisor::read_pidfile(dir.file("run/t7/qemu.pid"));
  CHECK(after != before);
  auto memory = control(dir, "t7", R"({"request":"qmp","command":{"execute":"query-memory-size-summary"}})");
  REQUIRE(memory);
  CHECK(memory->get_uint64("base-memory") == 384u << 20);
  REQUIRE(run.signal(SIGTERM));
  REQUIRE(run.signal(SIGTERM));
  CHECK(wait_exit(run, 30s).success());
}

// The README's promise: the first accelerator that works is used. This QEMU has no Xen, so it
// falls back to the next -accel entry on its own; the supervisor says which one it got.
TEST_CASE("accel = [\"xen\", \"tcg\"] comes up on tcg, and the log says QEMU runs without KVM", "[run]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  const std::string path = write_manifest(dir, "t20", false, "1s");
  std::string text = read_file(path).value_or("");
  const std::string tcg_only = "accel = [\"tcg\"]";
  REQUIRE(text.find(tcg_only) != std::string::npos);
  text.replace(text.find(tcg_only), tcg_only.size(), "accel = [\"xen\", \"tcg\"]");
  std::ofstream(path) << text;
  test::NotifyListener notify(dir.file("notify"));
  auto run = start_run(dir, path, "t20");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  REQUIRE(control(dir, "t20", R"({"request":"stop"})"));
  CHECK(wait_exit(run, 30s).success());
  const std::string log = run.stderr_text();
  INFO(log);
  CHECK(log.find("QEMU runs without KVM: it took the next accelerator of [machine] accel.") != std::string::npos);
}

// Lines of `text` that contain `needle`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// systemctl reload twice in a row: the second reload arrives during the first one's apply,
// runs after it, and the VM ends on the file's last content. Along the way: STEP events for
// the apply, `status` showing the manifest applied now and QEMU's run state, and a stop of a
// paused guest that does not wait for a power button nobody can press.
TEST_CASE("reloads during an apply are coalesced: the file's last content wins", "[run][guest]") {
  TestDir guard;
  const test::TempDir& dir = guard.dir;
  test::NotifyListener notify(dir.file("notify"));
  std::string manifest = write_manifest(dir, "t16", true, "60s");
  std::string original = *read_file(manifest);
  auto run = start_run(dir, manifest, "t16");
  REQUIRE(notify.wait_for("READY=1", 60000) != "");
  test::SerialReport report(dir.file("serial.log"));
  REQUIRE(report.wait_ready(test::kGuestBootTimeout));

  auto events = follow_events(dir, "t16");

  std::string disk2 = dir.file("d2.img");
  std::ofstream(disk2).close();
  REQUIRE(truncate(disk2.c_str(), 8 << 20) == 0);
  std::string b =
      original + fmt::format("[[disk]]\nid = \"d2\"\nfile = \"{}\"\nformat = \"raw\"\nhotplug = true\n", disk2);
  std::string a = original + "# A\n";
  std::ofstream(manifest) << b;
  REQUIRE(run.signal(SIGHUP));
  usleep(5000);
  std::ofstream(manifest) << a;
  REQUIRE(run.signal(SIGHUP));

  auto deadline = std::chrono::steady_clock::now() + 60s;
  // Each reload's outcome: "Reload of 'FILE': Applied ..." (the diff is logged before, alike).
  const std::string outcome = fmt::format("t16: Reload of '{}': Applied ", manifest);
  while (count_of(run.stderr_text(), outcome) < 2 && std::chrono::steady_clock::now() < deadline) usleep(20000);
  std::string log = run.stderr_text();
  INFO(log);
  REQUIRE(count_of(log, outcome) == 2);
  CHECK(log.find("Another apply is in progress") == std::string::npos);
  auto devices = control(
      dir, "t16", R"({"request":"qmp","command":{"execute":"qom-list","arguments":{"path":"/machine/peripheral"}}})");
  REQUIRE(devices);
  CHECK(devices->to_json().find(R"("name":"data")") != std::string::npos);
  CHECK(devices->to_json().find(R"("name":"d2")") == std::string::npos);

  std::string stream = events.stdout_text();
  CHECK(stream.find(R"("event":"STEP","source":"supervisor","data":{"index":0,"resource":"disk:d2")") !=
        std::string::npos);

  auto status = control(dir, "t16", R"({"request":"status"})");
  REQUIRE(status);
  CHECK(status->get_string("manifest_sha256") == sha256_hex(a));
  CHECK(status->get_string("run_state") == "running");
  CHECK(status->get_bool("healthy") == true);

  REQUIRE(control(dir, "t16", R"({"request":"qmp","command":{"execute":"stop"}})"));
  auto paused = launch::run({std::getenv("VMFORGE_BINARY"), "status", "t16", "--runtime-dir", dir.file("run")}, 30s);
  REQUIRE(paused);
  CHECK(paused->find("t16 - paused\n") == 0);
  auto begun = std::chrono::steady_clock::now();
  launch::SpawnOptions stop_command;
  stop_command.argv = {std::getenv("VMFORGE_BINARY"), "stop", "t16", "--runtime-dir", dir.file("run")};
  stop_command.capture_stdout = true;
  auto stop = launch::spawn(stop_command);
  REQUIRE(stop);
  CHECK(wait_exit(*stop, 60s).success());
  CHECK(std::chrono::steady_clock::now() - begun < 30s);  // not the 60s shutdown_timeout
  CHECK(wait_exit(run, 30s).success());
  const std::string quitting =
      "QEMU's run state is 'paused': the guest cannot react to the power button; quitting QEMU.";
  CHECK(run.stderr_text().find(quitting) != std::string::npos);
  // `vmforge stop` showed each step as it began (stderr is not a terminal: plain lines).
  CHECK(stop->stderr_text().find("Stop requested over the control socket") != std::string::npos);
  CHECK(stop->stderr_text().find(quitting + "\nQuitting QEMU") != std::string::npos);
  CHECK(stop->stdout_text() == "VM 't16' stopped.\n");
  wait_exit(events, 30s);
}
