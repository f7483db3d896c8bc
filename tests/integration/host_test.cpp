// The host commands with the test guest under `vmforge run`, all in one runtime root:
// `vmforge list` with two VMs (one paused), a stale state dir (its supervisor died), a stopped
// one, and one whose supervisor holds the lock but does not listen yet, then with one supervisor
// frozen (SIGSTOP), which must cost at most the survey's bound; `vmforge plan DIR` with one VM
// of DIR running, one not, one running without a manifest (--prune), and bad manifests.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/base/read_file.hpp"
#include "compiler/base/sha256.hpp"
#include "supervisor/core/vm_lock.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/serial_report.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/vmforge_cli.hpp"

namespace {

using namespace std::chrono_literals;
using vmforge::JsonValue;
using vmforge::test::temp_dir;
using vmforge::test::TempDir;
namespace launch = vmforge::launch;
using vmforge::test::CliResult;

CliResult vmforge_cli(std::vector<std::string> args) { return vmforge::test::run_vmforge(args); }

// VMs of the test guest under `vmforge run`, their supervisors stopped (SIGTERM) at the end.
class Host {
 public:
  Host() : dir_(temp_dir()) {
    auto guest = vmforge::test::find_guest();
    REQUIRE(guest);
    guest_ = *guest;
    REQUIRE(mkdir(dir_.file("rt").c_str(), 0700) == 0);
  }
  ~Host() {
    for (auto& [name, process] : supervisors_) {
      (void)process.signal(SIGTERM);
      (void)process.wait(60s);
    }
  }

  const TempDir& dir() const { return dir_; }
  std::string runtime_dir() const { return dir_.file("rt"); }
  launch::Process& supervisor(const std::string& name) { return supervisors_.at(name); }

  /// Writes manifest `path` for VM `name` (the test guest, its serial log beside the manifests)
  /// with `extra` TOML appended.
  std::string manifest(const std::string& path, const std::string& name, std::string_view extra = "") const {
    std::ofstream(path) << fmt::format(
        "name = \"{}\"\n[machine]\ntype = \"q35\"\naccel = [\"tcg\"]\nhotplug_slots = 1\n[memory]\nsize = \"256M\"\n"
        "[kernel]\npath = \"{}\"\ninitrd = \"{}\"\ncmdline = \"{}\"\n"
        "[[serial]]\nid = \"ser0\"\nbackend = \"file\"\npath = \"{}\"\n{}",
        name, guest_.kernel, guest_.initrd, vmforge::test::kGuestCmdline, dir_.file(name + ".serial"), extra);
    return path;
  }

  /// `vmforge run manifest`, its stderr in NAME.log.
  void start(const std::string& name, const std::string& manifest) {
    launch::SpawnOptions options;
    options.argv = {vmforge::test::vmforge_binary(), "run", manifest, "--runtime-dir", runtime_dir()};
    options.stderr_file = dir_.file(name + ".log");
    auto process = launch::spawn(options);
    REQUIRE(process);
    supervisors_.emplace(name, std::move(*process));
  }

  /// Waits for the guest of VM `name` to report `ready`.
  void wait_ready(const std::string& name) {
    vmforge::test::SerialReport report(dir_.file(name + ".serial"));
    auto ready = report.wait_ready(vmforge::test::kGuestBootTimeout);
    INFO(vmforge::read_file(dir_.file(name + ".log")).value_or(""));
    REQUIRE(ready);
  }

  /// `vmforge ARGS... --runtime-dir <ours>`.
  CliResult cli(std::vector<std::string> args) const {
    args.push_back("--runtime-dir");
    args.push_back(runtime_dir());
    return vmforge_cli(std::move(args));
  }

 private:
  TempDir dir_;
  vmforge::test::GuestImage guest_;
  std::map<std::string, launch::Process> supervisors_;
};

// A state dir as a supervisor leaves it: `files` created (empty), the applied manifest saved.
void fake_state_dir(const TempDir& dir, const std::string& name, std::initializer_list<const char*> files) {
  std::string state = dir.file("rt/" + name);
  REQUIRE(mkdir(state.c_str(), 0700) == 0);
  for (const char* f : files) std::ofstream(state + "/" + f);
  std::ofstream(state + "/manifest.path") << "/etc/vmforge/" << name << ".toml";
  std::ofstream(state + "/manifest.toml") << "name = \"" << name << "\"\n";
}

std::map<std::string, JsonValue> list_json(const Host& host) {
  CliResult list = host.cli({"list", "--json"});
  INFO(list.out << list.err);
  REQUIRE(list.status == 0);
  auto parsed = vmforge::parse_json(list.out);
  REQUIRE(parsed);
  REQUIRE(parsed->as_array());
  std::map<std::string, JsonValue> by_name;
  std::vector<std::string> order;
  for (const JsonValue& vm : *parsed->as_array()) {
    order.emplace_back(vm.get_string("name").value_or("?"));
    by_name[order.back()] = vm;
  }
  CHECK(order == std::vector<std::string>{"alpha", "beta", "gone", "old", "wip"});
  return by_name;
}

}  // namespace

TEST_CASE("list: every VM of the runtime root, live ones as their supervisors report them", "[list]") {
  Host host;
  const TempDir& dir = host.dir();
  std::map<std::string, std::string> manifests;
  for (std::string name : {"alpha", "beta"}) {
    manifests[name] = host.manifest(dir.file(name + ".toml"), name);
    host.start(name, manifests[name]);
  }
  const auto started = std::chrono::steady_clock::now();
  for (std::string name : {"alpha", "beta"}) host.wait_ready(name);
  CliResult pause = host.cli({"qmp", "beta", R"({"execute":"stop"})"});
  INFO(pause.err);
  REQUIRE(pause.status == 0);
  fake_state_dir(dir, "gone", {"lock", "control.sock", "qemu.pid"});
  fake_state_dir(dir, "old", {"lock"});
  fake_state_dir(dir, "wip", {});
  // The launcher's window: the lock held (by us, here), the control socket not there yet.
  auto wip_lock = vmforge::supervisor::VmLock::acquire(dir.file("rt/wip/lock"), "wip");
  REQUIRE(wip_lock);

  {
    INFO("JSON: states, PIDs, uptime, manifests");
    auto vms = list_json(host);
    const auto alive = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
    for (std::string name : {"alpha", "beta"}) {
      const JsonValue& vm = vms[name];
      INFO(name << ": " << vm.to_json());
      CHECK(vm.get_string("supervisor_state") == "running");
      CHECK(vm.get_int64("supervisor_pid") == host.supervisor(name).pid());
      auto qemu_pid = vmforge::read_file(dir.file("rt/" + name + "/qemu.pid"));
      REQUIRE(qemu_pid);
      CHECK(vm.get_int64("qemu_pid") == std::atoll(qemu_pid->c_str()));
      auto uptime = vm.get_int64("uptime_sec");
      REQUIRE(uptime);
      CHECK(*uptime <= alive.count() + 1);
      CHECK(vm.get_string("manifest") == manifests[name]);
      CHECK(vm.get_string("manifest_sha256") == vmforge::sha256_hex(vmforge::read_file(manifests[name]).value()));
      CHECK(vm.get_string("state_dir") == dir.file("rt/" + name));
    }
    CHECK(vms["alpha"].get_string("state") == "running");
    CHECK(vms["beta"].get_string("state") == "paused");
    CHECK(vms["gone"].get_string("state") == "stale");
    CHECK(vms["old"].get_string("state") == "stopped");
    CHECK(vms["wip"].get_string("state") == "starting");
    CHECK(vms["wip"].get_int64("supervisor_pid") == getpid());
    for (std::string name : {"gone", "old"}) {
      CHECK(vms[name].find("supervisor_pid")->is_null());
      CHECK(vms[name].find("qemu_pid")->is_null());
      CHECK(vms[name].get_string("manifest") == "/etc/vmforge/" + name + ".toml");
      CHECK(vms[name].get_string("manifest_sha256") == vmforge::sha256_hex("name = \"" + name + "\"\n"));
    }
  }

  {
    INFO("text: a table and a count");
    CliResult list = host.cli({"list"});
    INFO(list.out << list.err);
    REQUIRE(list.status == 0);
    CHECK(list.out.starts_with("NAME  STATE    QEMU-PID UPTIME"));
    CHECK(list.out.find("\nbeta  paused   ") != std::string::npos);
    CHECK(list.out.find("\ngone  stale    -        -      ") != std::string::npos);
    CHECK(list.out.ends_with("\n5 VMs listed.\n"));
  }

  {
    INFO("a frozen supervisor costs the survey's bound, not more, and is shown unresponsive");
    REQUIRE(host.supervisor("alpha").signal(SIGSTOP));
    auto t0 = std::chrono::steady_clock::now();
    auto vms = list_json(host);
    auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(host.supervisor("alpha").signal(SIGCONT));
    CHECK(vms["alpha"].get_string("state") == "unresponsive");
    CHECK(vms["alpha"].get_int64("supervisor_pid") == host.supervisor("alpha").pid());
    CHECK(vms["beta"].get_string("state") == "paused");
    CHECK(took >= 2s);
    CHECK(took < 6s);  // the 2 s bound, the start of two programs on a loaded host
  }
}

TEST_CASE("plan DIR: start what does not run, each running VM's own plan, --prune stops the rest", "[plan]") {
  Host host;
  const TempDir& dir = host.dir();
  REQUIRE(mkdir(dir.file("etc").c_str(), 0700) == 0);
  const std::string alpha = host.manifest(dir.file("etc/alpha.toml"), "alpha");
  host.manifest(dir.file("etc/beta.toml"), "beta");
  host.start("alpha", alpha);
  host.start("gamma", host.manifest(dir.file("gamma.toml"), "gamma"));
  host.wait_ready("alpha");
  host.wait_ready("gamma");

  CliResult plan = host.cli({"plan", dir.file("etc")});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 2);
  CHECK(plan.out.find(fmt::format("\n+ beta: start (no supervisor runs it) from '{}'\n", dir.file("etc/beta.toml"))) !=
        std::string::npos);
  CHECK(plan.out.find("\n  alpha: no changes\n") != std::string::npos);
  CHECK(plan.out.find("gamma") == std::string::npos);
  CHECK(plan.out.ends_with("\nHost plan: 1 to start, 0 to change, 0 to stop, 1 unchanged.\n"));

  CliResult pruned = host.cli({"plan", dir.file("etc"), "--prune", "--json"});
  INFO(pruned.out << pruned.err);
  CHECK(pruned.status == 2);
  auto json = vmforge::parse_json(pruned.out);
  REQUIRE(json);
  std::vector<std::string> actions;
  for (const JsonValue& vm : *json->find("vms")->as_array()) {
    actions.push_back(fmt::format("{} {}", vm.get_string("name").value_or("?"), vm.get_string("action").value_or("?")));
  }
  CHECK(actions == std::vector<std::string>{"alpha unchanged", "beta start", "gamma stop"});
  CHECK(json->get_uint64("start") == 1u);
  CHECK(json->get_uint64("stop") == 1u);
  CHECK(json->get_uint64("change") == 0u);

  // A disk added to alpha: its supervisor's plan, indented under it.
  REQUIRE(vmforge::test::create_disk_image(dir.file("data.raw"), "raw", 1 << 20));
  host.manifest(
      alpha, "alpha",
      fmt::format("[[disk]]\nid = \"data\"\nfile = \"{}\"\nformat = \"raw\"\nhotplug = true\n", dir.file("data.raw")));
  CliResult changed = host.cli({"plan", dir.file("etc")});
  INFO(changed.out << changed.err);
  CHECK(changed.status == 2);
  CHECK(changed.out.find(fmt::format("\n~ alpha: changes from '{}':\n      + disk:data\n", alpha)) !=
        std::string::npos);
  CHECK(changed.out.find("\n    Plan: 1 to add, 0 to change") != std::string::npos);
  CHECK(changed.out.ends_with("\nHost plan: 1 to start, 1 to change, 0 to stop, 0 unchanged.\n"));

  // Converged: alpha as it runs, beta gone from DIR, gamma not pruned.
  host.manifest(alpha, "alpha");
  REQUIRE(unlink(dir.file("etc/beta.toml").c_str()) == 0);
  CliResult converged = host.cli({"plan", dir.file("etc")});
  INFO(converged.out << converged.err);
  CHECK(converged.status == 0);
  CHECK(converged.out.ends_with("\nHost plan: 0 to start, 0 to change, 0 to stop, 1 unchanged.\n"));

  // A bad manifest, and one whose file is not its VM's name: nothing is planned.
  std::ofstream(dir.file("etc/broken.toml")) << "name = \"broken\"\n[memory]\nsize = 12\n";
  host.manifest(dir.file("etc/other.toml"), "zeta");
  CliResult bad = host.cli({"plan", dir.file("etc"), "--prune"});
  INFO(bad.out << bad.err);
  CHECK(bad.status == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err.find(dir.file("etc/broken.toml") + ":3:") != std::string::npos);
  CHECK(bad.err.find(dir.file("etc/other.toml") + ": error: the manifest names VM 'zeta'") != std::string::npos);
  CHECK(bad.err.find(fmt::format("vmforge plan: '{}' has errors; nothing planned.", dir.file("etc"))) !=
        std::string::npos);
}
