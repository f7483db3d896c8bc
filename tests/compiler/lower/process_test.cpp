// Process-level lowering: the fixed flags, the supervisor's QMP monitor, knobs translated from
// govmm's removed forms, and the key=value options with escaped values.
#include <catch2/catch.hpp>

#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

TEST_CASE("every argv is paused, default-free and has the QMP monitor on fd 3", "[compiler]") {
  const auto argv = lowered(small_vm()).argv;
  CHECK(has_arg(argv, "-S"));
  CHECK(has_arg(argv, "-nodefaults"));
  CHECK(has_arg(argv, "-no-user-config"));
  CHECK(values_of(argv, "-display") == std::vector<std::string>{"none"});
  CHECK(values_of(argv, "-chardev") == std::vector<std::string>{"socket,id=vmforge-qmp,fd=3,server=on,wait=off"});
  CHECK(values_of(argv, "-mon") == std::vector<std::string>{"chardev=vmforge-qmp,mode=control"});
}

TEST_CASE("knobs the manifest turns off leave their flags out", "[compiler]") {
  Vm vm = small_vm();
  vm.knobs.no_defaults = false;
  vm.knobs.no_user_config = false;
  vm.knobs.no_graphic = false;
  const auto argv = lowered(vm).argv;
  CHECK_FALSE(has_arg(argv, "-nodefaults"));
  CHECK_FALSE(has_arg(argv, "-no-user-config"));
  CHECK_FALSE(has_arg(argv, "-display"));
  CHECK(has_arg(argv, "-S"));
}

TEST_CASE("govmm's removed forms come out in their QEMU 7.2 spelling", "[compiler]") {
  Vm vm = small_vm();
  vm.knobs.mlock = true;
  vm.knobs.no_reboot = true;
  vm.knobs.no_shutdown = true;
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-overcommit") == std::vector<std::string>{"mem-lock=on"});
  CHECK(has_arg(argv, "-no-reboot"));
  CHECK(has_arg(argv, "-no-shutdown"));
  for (const auto& a : argv) {
    CHECK(a != "-realtime");
    CHECK(a.find("accel=") == std::string::npos);
    CHECK(a.find("nowait") == std::string::npos);
  }
}

TEST_CASE("extra QMP sockets get their own monitors with escaped paths", "[compiler]") {
  Vm vm = small_vm();
  vm.qmp_sockets = {QmpSocket{"/run/a,b.sock"}};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-chardev")[1] == "socket,id=vmforge-qmp1,path=/run/a,,b.sock,server=on,wait=off");
  CHECK(values_of(argv, "-mon")[1] == "chardev=vmforge-qmp1,mode=control");
  // server = false: QEMU connects out (Proxmox's qmeventd listens); 'wait' is for servers only.
  vm.qmp_sockets = {QmpSocket{"/run/qmeventd.sock", false}};
  CHECK(values_of(lowered(vm).argv, "-chardev")[1] == "socket,id=vmforge-qmp1,path=/run/qmeventd.sock,server=off");
}

TEST_CASE("rtc, globals, sandbox, fw_cfg, pid and log files", "[compiler]") {
  Vm vm = small_vm();
  vm.rtc = Rtc{RtcBase::localtime, std::nullopt, RtcClock::vm, RtcDriftFix::slew};
  vm.globals = {GlobalParam{"kvm-pit", "lost_tick_policy", "discard"}, GlobalParam{"d", "p", "x,y=z"}};
  vm.sandbox = Sandbox{};
  vm.fw_cfg = {FwCfg{"opt/a", "/f/a,b", std::nullopt}, FwCfg{"opt/b", std::nullopt, "s=1,t"}};
  vm.qemu.pidfile = "/run/q.pid";
  vm.qemu.logfile = "/run/q.log";
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-rtc") == std::vector<std::string>{"base=localtime,clock=vm,driftfix=slew"});
  CHECK(values_of(argv, "-global") == std::vector<std::string>{"driver=kvm-pit,property=lost_tick_policy,value=discard",
                                                               "driver=d,property=p,value=x,,y=z"});
  CHECK(values_of(argv, "-sandbox") ==
        std::vector<std::string>{"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"});
  // Two entries give two options (govmm merged them into one broken option).
  CHECK(values_of(argv, "-fw_cfg") == std::vector<std::string>{"name=opt/a,file=/f/a,,b", "name=opt/b,string=s=1,,t"});
  CHECK(values_of(argv, "-pidfile") == std::vector<std::string>{"/run/q.pid"});
  CHECK(values_of(argv, "-D") == std::vector<std::string>{"/run/q.log"});
}

TEST_CASE("incoming migration forms", "[compiler]") {
  Vm vm = small_vm();
  vm.incoming = Incoming{IncomingKind::defer, -1, "", ""};
  CHECK(values_of(lowered(vm).argv, "-incoming") == std::vector<std::string>{"defer"});
  vm.incoming = Incoming{IncomingKind::fd, 7, "", ""};
  CHECK(values_of(lowered(vm).argv, "-incoming") == std::vector<std::string>{"fd:7"});
  vm.incoming = Incoming{IncomingKind::exec, -1, "cat /s,x", ""};
  CHECK(values_of(lowered(vm).argv, "-incoming") == std::vector<std::string>{"exec:cat /s,x"});
  vm.incoming = Incoming{IncomingKind::uri, -1, "", "unix:/run/m.sock"};
  CHECK(values_of(lowered(vm).argv, "-incoming") == std::vector<std::string>{"unix:/run/m.sock"});
}

TEST_CASE("raw extra arguments come last, as given", "[compiler]") {
  Vm vm = small_vm();
  vm.qemu.extra_args = {"-msg", "timestamp=on"};
  const auto argv = lowered(vm).argv;
  REQUIRE(argv.size() >= 2);
  CHECK(argv[argv.size() - 2] == "-msg");
  CHECK(argv.back() == "timestamp=on");
}

TEST_CASE("the plan carries the name, binary and manifest hash", "[compiler]") {
  Vm vm = small_vm();
  vm.qemu.binary = "/usr/bin/qemu-system-x86_64";
  const Plan plan = lowered(vm);
  CHECK(plan.name == "t");
  CHECK(plan.qemu_binary == "/usr/bin/qemu-system-x86_64");
  CHECK(plan.manifest_sha256 == "00");
  CHECK(plan.steps.empty());
}
