// Lowering of shared directories: 9p (-fsdev + device) and virtio-fs (chardev + vhost-user-fs).
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

TEST_CASE("9p is an escaped -fsdev and a JSON device", "[compiler]") {
  Vm vm = small_vm();
  Fs9p fs;
  fs.id = DeviceId("share");
  fs.path = "/srv/a,b";
  fs.tag = "tag one";
  fs.multidev = Fs9pMultidev::remap;
  fs.readonly = true;
  vm.fs_9p = {fs};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-fsdev") ==
        std::vector<std::string>{
            "local,id=share.fs,path=/srv/a,,b,security_model=mapped-xattr,multidevs=remap,readonly=on"});
  CHECK(
      value_with(argv, "-device", "share") ==
      R"({"driver":"virtio-9p-pci","id":"share","bus":"pcie.0","addr":"0x01.0x0","fsdev":"share.fs","mount_tag":"tag one"})");
}

TEST_CASE("virtio-fs: a socket chardev and vhost-user-fs; hot ones plugged", "[compiler]") {
  Vm vm = small_vm();
  VirtioFs fs;
  fs.id = DeviceId("vfs");
  fs.socket = "/run/vfs.sock";
  fs.tag = "home";
  fs.queue_size = 1024;
  fs.hotplug = true;
  vm.virtio_fs = {fs};
  const Plan plan = lowered(vm);
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].resource == "fs:vfs");
  CHECK(plan.steps[0].call.command == "chardev-add");
  CHECK(
      plan.steps[1].call.arguments ==
      R"({"driver":"vhost-user-fs-pci","id":"vfs","bus":"vmforge-rp0","chardev":"vfs.char","tag":"home","queue-size":1024})");
  auto unplug = unplug_steps(vm, "fs:vfs");
  REQUIRE(unplug);
  CHECK(unplug->back().call.command == "chardev-remove");
}
