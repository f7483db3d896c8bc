// virtio-fs live: a share served by QEMU 7.2's virtiofsd is added to the running test guest with
// `vmforge apply` and removed again; `plan` names exactly those steps beforehand, and the guest
// mounts the share and reads a file the host wrote into it.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

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
// needs only CAP_SYS_CHROOT, and the test needs no isolation from its own temp dir. As root,
// QEMU runs as vmforge-qemu (README, Running VMs): the socket (0770) is in that group and the
// directory lets others through (0711), as a host would set it up.
launch::Process start_virtiofsd(const test::TempDir& dir, const std::string& share, const std::string& socket) {
  launch::SpawnOptions options;
  options.argv = {kVirtiofsd, "--socket-path=" + socket, "-o", "source=" + share, "-o", "cache=none",
                  "-o",       "sandbox=chroot"};
  if (geteuid() == 0) {
    options.argv.push_back("--socket-group=vmforge-qemu");
    REQUIRE(::chmod(dir.path().c_str(), 0711) == 0);
  }
  options.stderr_file = dir.file("virtiofsd.log");
  auto daemon = launch::spawn(options);
  REQUIRE(daemon);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  struct stat st {};
  while (::stat(socket.c_str(), &st) != 0) {
    auto status = daemon->peek();
    REQUIRE(status);
    if (*status) FAIL(daemon->exit_error(**status).message);
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("virtiofsd made no socket in 10 s: " << daemon->stderr_text());
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
      "with-fs",
      fmt::format("[[virtio_fs]]\nid = \"fs0\"\nsocket = \"{}\"\ntag = \"hostshare\"\nhotplug = true\n", socket));
  vm.boot(base);
  const LockFileRemover lock_file(socket);  // declared first: goes after the daemon
  launch::Process virtiofsd = start_virtiofsd(vm.dir(), share, socket);

  JsonValue plan = vm.plan_json(with_fs);
  CHECK(test::plan_outline(plan) == std::vector<std::string>{"+ fs:fs0", "  chardev-add", "  device_add"});
  CHECK(plan.get_uint64("add") == 1u);
  const JsonValue chardev = test::step_arguments(plan, "chardev-add");
  CHECK(chardev.get_string("id") == "fs0.char");
  const JsonValue* socket_path = chardev.find_path({"backend", "data", "addr", "data", "path"});
  REQUIRE(socket_path);
  CHECK(socket_path->as_string() == socket);
  const JsonValue device = test::step_arguments(plan, "device_add");
  CHECK(device.get_string("driver") == "vhost-user-fs-pci");
  CHECK(device.get_string("id") == "fs0");
  CHECK(device.get_string("chardev") == "fs0.char");
  CHECK(device.get_string("tag") == "hostshare");
  // The text form a user reads says the same.
  vm.check_plan_adds(with_fs, "fs:fs0");

  INFO(virtiofsd.stderr_text());  // why QEMU's vhost-user connection failed, if it did
  vm.apply(with_fs);
  // The guest found the share by its tag, mounted it and read what the host wrote.
  vm.wait_report("virtiofs", [](std::string_view v) { return test::has(v, "hostshare"); });
  vm.wait_report("virtiofs.hostshare", [](std::string_view v) { return v == "files=probe"; });
  vm.wait_report("virtiofs.hostshare.probe", [](std::string_view v) { return v == "written by the host\\n"; });
  vm.wait_report("virtio", [](std::string_view v) { return test::has(v, "fs"); });
  CHECK(vm.cli({"plan", with_fs}).status == 0);

  plan = vm.plan_json(base);
  CHECK(test::plan_outline(plan) ==
        std::vector<std::string>{"- fs:fs0", "  device_del until DEVICE_DELETED of 'fs0'", "  chardev-remove"});
  CHECK(plan.get_uint64("remove") == 1u);
  CHECK(test::step_arguments(plan, "chardev-remove").get_string("id") == "fs0.char");
  vm.apply(base);
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
