// virtio-fs live: a share served by QEMU 7.2's virtiofsd is added to the running test guest with
// `vmforge apply` and removed again; `plan` names exactly those steps beforehand, and the guest
// mounts the share and reads a file the host wrote into it.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <fstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/integration/live_vm.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVirtiofsd = "/usr/lib/qemu/virtiofsd";  // QEMU 7.2's C daemon (qemu-system-common)

// vhost-user maps guest RAM into the daemon: it must be shared and fd-backed.
constexpr const char* kSharedMemory = "backend = \"memfd\"\nshared = true\n";

// virtiofsd serving `share` on `socket`, once its socket is there. sandbox=chroot: the default
// (namespace) needs new mount, pid and net namespaces, which containers often refuse; chroot
// needs only CAP_SYS_CHROOT, and the test needs no isolation from its own temp dir.
launch::Process start_virtiofsd(const test::TempDir& dir, const std::string& share, const std::string& socket) {
  launch::SpawnOptions options;
  options.argv = {kVirtiofsd, "--socket-path=" + socket, "-o", "source=" + share, "-o", "cache=none",
                  "-o", "sandbox=chroot"};
  options.stderr_file = dir.file("virtiofsd.log");
  auto daemon = launch::spawn(options);
  REQUIRE(daemon);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  struct stat st {};
  while (::stat(socket.c_str(), &st) != 0) {
    auto status = daemon->peek();
    REQUIRE(status);
    if (*status) FAIL(daemon->exit_error(**status).message);
    if (std::chrono::steady_clock::now() > deadline) FAIL("virtiofsd made no socket in 10 s: " << daemon->stderr_text());
    struct pollfd exited = {daemon->pidfd(), POLLIN, 0};
    (void)::poll(&exited, 1, 10);  // wakes early if it exits
  }
  return std::move(*daemon);
}

// C virtiofsd locks /run/virtiofsd/<socket path with '/' as '.'>.pid and leaves it behind (it
// has chrooted by the time it exits): one file per run unless removed once the daemon is gone.
class LockFileRemover {
 public:
  explicit LockFileRemover(std::string socket) {
    std::replace(socket.begin(), socket.end(), '/', '.');
    path_ = "/run/virtiofsd/" + socket + ".pid";
  }
  LockFileRemover(const LockFileRemover&) = delete;
  LockFileRemover& operator=(const LockFileRemover&) = delete;
  ~LockFileRemover() { (void)::unlink(path_.c_str()); }

 private:
  std::string path_;
};

// A `vmforge plan --json` reply in short: each change as "<symbol> <resource>", each step as its
// command (with the DEVICE_DELETED wait of an unplug), in order.
std::vector<std::string> plan_outline(const JsonValue& plan) {
  std::vector<std::string> outline;
  const JsonValue* changes = plan.find("changes");
  REQUIRE(changes);
  REQUIRE(changes->as_array());
  for (const JsonValue& change : *changes->as_array()) {
    outline.push_back(fmt::format("{} {}", change.get_string("symbol").value_or("?"),
                                  change.get_string("resource").value_or("?")));
    const JsonValue* steps = change.find("steps");
    REQUIRE(steps);
    REQUIRE(steps->as_array());
    for (const JsonValue& step : *steps->as_array()) {
      std::string line = fmt::format("  {}", step.get_string("command").value_or("?"));
      if (const JsonValue* completion = step.find("completion"); completion && completion->get_string("event")) {
        line += fmt::format(" until {} of '{}'", *completion->get_string("event"),
                            completion->get_string("device").value_or("?"));
      }
      outline.push_back(std::move(line));
    }
  }
  return outline;
}

// The arguments of the first step `command` in `plan`.
JsonValue step_arguments(const JsonValue& plan, std::string_view command) {
  for (const JsonValue& change : *plan.find("changes")->as_array()) {
    for (const JsonValue& step : *change.find("steps")->as_array()) {
      if (step.get_string("command") == command) return *step.find("arguments");
    }
  }
  FAIL("no step '" << command << "' in the plan");
  return JsonValue();
}

JsonValue plan_json(test::LiveVm& vm, const std::string& manifest) {
  test::CliResult plan = vm.cli({"plan", manifest, "--json"});
  INFO(plan.out << plan.err);
  REQUIRE(plan.status == 2);
  auto json = parse_json(plan.out);
  REQUIRE(json);
  return std::move(*json);
}

}  // namespace

TEST_CASE("a virtio-fs share on virtiofsd is added and removed live, as plan says beforehand",
          "[qemu][apply][virtio_fs]") {
  test::LiveVm vm(kSharedMemory);
  const std::string share = vm.dir().file("share");
  const std::string socket = vm.dir().file("fs.sock");
  REQUIRE(::mkdir(share.c_str(), 0755) == 0);
  std::ofstream(share + "/probe") << "written by the host\n";
  const std::string base = vm.manifest("base", "");
  const std::string with_fs = vm.manifest(
      "with-fs", fmt::format("[[virtio_fs]]\nid = \"fs0\"\nsocket = \"{}\"\ntag = \"hostshare\"\nhotplug = true\n", socket));
  vm.boot(base);
  const LockFileRemover lock_file(socket);  // declared first: goes after the daemon
  launch::Process virtiofsd = start_virtiofsd(vm.dir(), share, socket);

  JsonValue plan = plan_json(vm, with_fs);
  CHECK(plan_outline(plan) == std::vector<std::string>{"+ fs:fs0", "  chardev-add", "  device_add"});
  CHECK(plan.get_uint64("add") == 1u);
  const JsonValue chardev = step_arguments(plan, "chardev-add");
  CHECK(chardev.get_string("id") == "fs0.char");
  const JsonValue* socket_path = chardev.find_path({"backend", "data", "addr", "data", "path"});
  REQUIRE(socket_path);
  CHECK(socket_path->as_string() == socket);
  const JsonValue device = step_arguments(plan, "device_add");
  CHECK(device.get_string("driver") == "vhost-user-fs-pci");
  CHECK(device.get_string("id") == "fs0");
  CHECK(device.get_string("chardev") == "fs0.char");
  CHECK(device.get_string("tag") == "hostshare");
  // The text form a user reads says the same.
  test::CliResult text = vm.cli({"plan", with_fs});
  INFO(text.out);
  CHECK(text.out.find("  + fs:fs0\n") != std::string::npos);
  CHECK(text.out.find("Plan: 1 to add, 0 to change, 0 to replace, 0 to remove, 0 restart required.") !=
        std::string::npos);

  test::CliResult apply = vm.cli({"apply", with_fs});
  INFO(apply.out << apply.err << vm.log() << virtiofsd.stderr_text());
  REQUIRE(apply.status == 0);
  // The guest found the share by its tag, mounted it and read what the host wrote.
  vm.wait_report("virtiofs", [](std::string_view v) { return test::has(v, "hostshare"); });
  vm.wait_report("virtiofs.hostshare", [](std::string_view v) { return v == "files=probe"; });
  vm.wait_report("virtiofs.hostshare.probe", [](std::string_view v) { return v == "written by the host\\n"; });
  vm.wait_report("virtio", [](std::string_view v) { return test::has(v, "fs"); });
  CHECK(vm.cli({"plan", with_fs}).status == 0);

  plan = plan_json(vm, base);
  CHECK(plan_outline(plan) ==
        std::vector<std::string>{"- fs:fs0", "  device_del until DEVICE_DELETED of 'fs0'", "  chardev-remove"});
  CHECK(plan.get_uint64("remove") == 1u);
  CHECK(step_arguments(plan, "chardev-remove").get_string("id") == "fs0.char");
  apply = vm.cli({"apply", base});
  INFO(apply.out << apply.err << vm.log());
  REQUIRE(apply.status == 0);
  vm.wait_report("virtiofs", [](std::string_view v) { return v.empty(); });
  vm.wait_report("virtiofs.hostshare", [](std::string_view v) { return v.empty(); });
  vm.wait_report("virtiofs.hostshare.probe", [](std::string_view v) { return v.empty(); });
  vm.wait_report("virtio", [](std::string_view v) { return !test::has(v, "fs"); });
  CHECK(vm.cli({"plan", base}).status == 0);
  // QEMU let go of the vhost-user connection: C virtiofsd serves one connection, then exits.
  auto ended = virtiofsd.wait(10s);
  REQUIRE(ended);
  INFO(virtiofsd.stderr_text());
  CHECK(ended->success());
}
