// Character device lowering: chardev key=value options with escaped paths, the three
// frontends, and chardev-add + device_add for hot ports.
#include <catch2/catch.hpp>

#include "compiler/lower/context.hpp"
#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

namespace {

Serial serial(std::string id, CharBackend backend, std::optional<std::string> path) {
  Serial s;
  s.id = DeviceId(std::move(id));
  s.backend = backend;
  s.path = std::move(path);
  return s;
}

VirtioSerial controller(std::string id) {
  VirtioSerial c;
  c.id = DeviceId(std::move(id));
  return c;
}

}  // namespace

TEST_CASE("each chardev backend gets its key=value form", "[compiler]") {
  Vm vm = small_vm();
  vm.serials = {serial("f", CharBackend::file, "/log/a,b.log"), serial("s", CharBackend::socket, "/run/s.sock"),
                serial("p", CharBackend::pty, std::nullopt),    serial("i", CharBackend::pipe, "/run/pipe"),
                serial("t", CharBackend::tty, "/dev/ttyS1"),    serial("n", CharBackend::null, std::nullopt)};
  vm.serials[1].server = false;
  const auto chardevs = values_of(lowered(vm).argv, "-chardev");
  REQUIRE(chardevs.size() == 7);
  CHECK(chardevs[1] == "file,id=f.char,path=/dev/fdset/4");
  CHECK(chardevs[2] == "socket,id=s.char,path=/run/s.sock,server=off");
  CHECK(chardevs[3] == "pty,id=p.char");
  CHECK(chardevs[4] == "pipe,id=i.char,path=/run/pipe");
  CHECK(chardevs[5] == "serial,id=t.char,path=/dev/ttyS1");
  CHECK(chardevs[6] == "null,id=n.char");
}

TEST_CASE("a listening socket never waits for a client", "[compiler]") {
  Vm vm = small_vm();
  vm.serials = {serial("s", CharBackend::socket, "/run/s.sock")};
  CHECK(values_of(lowered(vm).argv, "-chardev")[1] == "socket,id=s.char,path=/run/s.sock,server=on,wait=off");
}

TEST_CASE("UART, console and port frontends", "[compiler]") {
  Vm vm = small_vm();
  vm.virtio_serials = {controller("vser0")};
  vm.virtio_serials[0].max_ports = 4;
  Serial uart = serial("ser0", CharBackend::pty, std::nullopt);
  Serial con = serial("con0", CharBackend::pty, std::nullopt);
  con.frontend = SerialFrontend::virtconsole;
  con.controller = DeviceId("vser0");
  Serial port = serial("agent", CharBackend::socket, "/run/qga.sock");
  port.frontend = SerialFrontend::virtserialport;
  port.controller = DeviceId("vser0");
  port.name = "org.qemu.guest_agent.0";
  vm.serials = {uart, con, port};
  CHECK(
      values_of(lowered(vm).argv, "-device") ==
      std::vector<std::string>{
          R"({"driver":"virtio-serial-pci","id":"vser0","bus":"pcie.0","addr":"0x01.0x0","max_ports":4})",
          R"({"driver":"isa-serial","id":"ser0","chardev":"ser0.char"})",
          R"({"driver":"virtconsole","id":"con0","bus":"vser0.0","chardev":"con0.char"})",
          R"({"driver":"virtserialport","id":"agent","bus":"vser0.0","chardev":"agent.char","name":"org.qemu.guest_agent.0"})"});
}

TEST_CASE("a hot port is chardev-add then device_add; unplug reverses after DEVICE_DELETED", "[compiler]") {
  Vm vm = small_vm();
  vm.virtio_serials = {controller("vser0")};
  Serial port = serial("ch1", CharBackend::file, "/log/ch1.log");
  port.frontend = SerialFrontend::virtserialport;
  port.controller = DeviceId("vser0");
  port.name = "org.test.1";
  port.hotplug = true;
  vm.serials = {port};
  const Plan plan = lowered(vm);
  // The log is created by the supervisor (0600) and reaches QEMU as an fd set.
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[0].resource == "channel:ch1");
  CHECK(plan.steps[0].call.command == "add-fd");
  REQUIRE(plan.steps[0].call.file);
  CHECK(plan.steps[0].call.file->path == "/log/ch1.log");
  CHECK(plan.steps[1].call.arguments == R"({"id":"ch1.char","backend":{"type":"file","data":{"out":")" +
                                            hot_fdset_path("channel:ch1\n/log/ch1.log") + R"("}}})");
  CHECK(plan.steps[1].undo->command == "chardev-remove");
  CHECK(plan.steps[2].call.arguments ==
        R"({"driver":"virtserialport","id":"ch1","bus":"vser0.0","chardev":"ch1.char","name":"org.test.1"})");
  auto unplug = unplug_steps(vm, "channel:ch1");
  REQUIRE(unplug);
  REQUIRE(unplug->size() == 3);
  CHECK((*unplug)[0].call.command == "device_del");
  CHECK((*unplug)[1].call.command == "chardev-remove");
  CHECK((*unplug)[1].call.arguments == R"({"id":"ch1.char"})");
  CHECK((*unplug)[2].call.command == "remove-fd");
}

TEST_CASE("chardev-add backends for every kind", "[compiler]") {
  Vm vm = small_vm();
  vm.virtio_serials = {controller("v")};
  std::vector<Serial> ports = {serial("s", CharBackend::socket, "/run/s.sock"),
                               serial("p", CharBackend::pty, std::nullopt), serial("i", CharBackend::pipe, "/run/i"),
                               serial("t", CharBackend::tty, "/dev/ttyS1"),
                               serial("n", CharBackend::null, std::nullopt)};
  for (auto& p : ports) {
    p.frontend = SerialFrontend::virtconsole;
    p.controller = DeviceId("v");
    p.hotplug = true;
  }
  vm.serials = ports;
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 10);
  CHECK(
      plan.steps[0].call.arguments ==
      R"({"id":"s.char","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/run/s.sock"}},"server":true,"wait":false}}})");
  CHECK(plan.steps[2].call.arguments == R"({"id":"p.char","backend":{"type":"pty","data":{}}})");
  CHECK(plan.steps[4].call.arguments == R"({"id":"i.char","backend":{"type":"pipe","data":{"device":"/run/i"}}})");
  CHECK(plan.steps[6].call.arguments ==
        R"({"id":"t.char","backend":{"type":"serial","data":{"device":"/dev/ttyS1"}}})");
  CHECK(plan.steps[8].call.arguments == R"({"id":"n.char","backend":{"type":"null","data":{}}})");
  CHECK(plan.steps[1].resource == "console:s");
}

TEST_CASE("a hot virtio-serial controller is plugged before its ports", "[compiler]") {
  Vm vm = small_vm();
  vm.virtio_serials = {controller("vser1")};
  vm.virtio_serials[0].hotplug = true;
  Serial port = serial("c", CharBackend::pty, std::nullopt);
  port.frontend = SerialFrontend::virtserialport;
  port.controller = DeviceId("vser1");
  port.hotplug = true;
  vm.serials = {port};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[0].resource == "virtio_serial:vser1");
  CHECK(plan.steps[0].call.arguments == R"({"driver":"virtio-serial-pci","id":"vser1","bus":"vmforge-rp0"})");
  CHECK(plan.steps[1].resource == "channel:c");
}

TEST_CASE("a console backend listens on the fd above the seed, and passed files move up", "[compiler]") {
  Vm vm = small_vm();
  vm.serials = {serial("con", CharBackend::console, std::nullopt), serial("f", CharBackend::file, "/log/f.log")};
  CHECK(console_listen_fd(vm) == 4);
  CHECK(first_passed_fd(vm) == 5);
  const auto chardevs = values_of(lowered(vm).argv, "-chardev");
  REQUIRE(chardevs.size() == 3);
  CHECK(chardevs[1] == "socket,id=con.char,fd=4,server=on,wait=off");
  CHECK(chardevs[2] == "file,id=f.char,path=/dev/fdset/5");
  vm.cloud_init = CloudInit{};
  CHECK(cloud_init_seed_fd(vm) == 4);
  CHECK(console_listen_fd(vm) == 5);
  CHECK(first_passed_fd(vm) == 6);
}

TEST_CASE("no console backend, no console fd", "[compiler]") {
  Vm vm = small_vm();
  vm.serials = {serial("p", CharBackend::pty, std::nullopt)};
  CHECK_FALSE(console_listen_fd(vm));
}
