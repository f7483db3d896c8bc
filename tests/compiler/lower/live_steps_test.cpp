// live_steps: the QMP calls that change a running device in place (link, balloon, cdrom medium)
// and the backend names steps create or delete.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/lower/live_steps.hpp"
#include "compiler/lower/media_steps.hpp"
#include "compiler/validate/load_and_validate.hpp"

using namespace vmforge;

namespace {

QmpCall call(std::string command, std::string arguments) {
  return QmpCall{std::move(command), std::move(arguments), {}};
}

std::string cdrom_vm(std::string_view iso) {
  return fmt::format(
      "name = \"web\"\n[[scsi_controller]]\nid = \"scsi0\"\n"
      "[[disk]]\nid = \"cd0\"\nfile = \"{}\"\nmedia = \"cdrom\"\nbus = \"scsi\"\ncontroller = \"scsi0\"\n",
      iso);
}

Vm valid(const std::string& text) {
  auto vm = validate_text(text, "/srv/vms/web.toml");
  if (!vm) FAIL(vm.error().render(text));
  return std::move(vm).value();
}

// "command arguments" per step, and the same for each undo ("-" for none).
std::vector<std::string> calls(const std::vector<PlanStep>& steps) {
  std::vector<std::string> out;
  for (const PlanStep& s : steps) {
    out.push_back(s.call.command + " " + s.call.arguments + " | " +
                  (s.undo ? s.undo->command + " " + s.undo->arguments : std::string("-")));
  }
  return out;
}

}  // namespace

TEST_CASE("backend names: what a step deletes or creates", "[compiler][diff]") {
  CHECK(backend_target(call("blockdev-del", R"({"node-name":"d1.fmt"})")) == "d1.fmt");
  CHECK(backend_target(call("chardev-remove", R"({"id":"c1.chr"})")) == "c1.chr");
  CHECK(backend_target(call("netdev_del", R"({"id":"n1.net"})")) == "n1.net");
  CHECK(backend_target(call("object-del", R"({"id":"m1.mem"})")) == "m1.mem");
  CHECK(backend_target(call("device_del", R"({"id":"d1"})")).empty());
  CHECK(backend_target(call("blockdev-add", R"({"node-name":"d1.fmt"})")).empty());

  CHECK(backend_created(call("blockdev-add", R"({"driver":"raw","node-name":"d1.fmt"})")) == "d1.fmt");
  CHECK(backend_created(call("chardev-add", R"({"id":"c1.chr","backend":{}})")) == "c1.chr");
  CHECK(backend_created(call("netdev_add", R"({"type":"user","id":"n1.net"})")) == "n1.net");
  CHECK(backend_created(call("object-add", R"({"qom-type":"memory-backend-ram","id":"m1.mem"})")) == "m1.mem");
  CHECK(backend_created(call("device_add", R"({"id":"d1"})")).empty());
  CHECK(backend_created(call("blockdev-add", "not json")).empty());
}

TEST_CASE("set_link is undone by the opposite state", "[compiler][diff]") {
  PlanStep down = set_link_step("eth0", false);
  CHECK(down.resource == "net:eth0");
  CHECK(calls({down}) ==
        std::vector<std::string>{R"(set_link {"name":"eth0","up":false} | set_link {"name":"eth0","up":true})"});
  CHECK(down.call.completion.kind == Completion::Kind::reply);
}

TEST_CASE("balloon completes on its reply; its undo asks for the previous size", "[compiler][diff]") {
  PlanStep live = balloon_step("bal0", 256ull << 20, 512ull << 20);
  CHECK(live.resource == "balloon:bal0");
  CHECK(calls({live}) == std::vector<std::string>{R"(balloon {"value":268435456} | balloon {"value":536870912})"});
  CHECK(live.call.completion.kind == Completion::Kind::reply);
  // The boot plan's step (QEMU paused) has nothing to go back to.
  CHECK_FALSE(balloon_step("bal0", 256ull << 20, std::nullopt).undo);
}

// The old medium is put in its own fd set first (a cdrom from the argv has its medium in a set of
// the boot plan's files, which no undo can name), kept if the swap is undone, removed last.
TEST_CASE("a cdrom medium is swapped through the tray; every undo puts the old one back", "[compiler][diff]") {
  const Vm running = valid(cdrom_vm("/srv/a.iso"));
  const Vm desired = valid(cdrom_vm("/srv/b,c.iso"));
  auto steps = change_media_steps(running, desired, "cd0");
  REQUIRE(steps);
  for (const PlanStep& s : *steps) CHECK(s.resource == "disk:cd0");
  CHECK(
      calls(*steps) ==
      std::vector<std::string>{
          R"(add-fd {"fdset-id":1641695914,"opaque":"/srv/a.iso"} | -)",
          R"(blockdev-open-tray {"id":"cd0","force":true} | blockdev-close-tray {"id":"cd0"})",
          R"(blockdev-remove-medium {"id":"cd0"} | blockdev-insert-medium {"id":"cd0","node-name":"cd0.fmt"})",
          R"(blockdev-del {"node-name":"cd0.fmt"} | blockdev-add {"driver":"raw","node-name":"cd0.fmt","file":"cd0.file","read-only":true})",
          R"(blockdev-del {"node-name":"cd0.file"} | blockdev-add {"driver":"file","node-name":"cd0.file","filename":"/dev/fdset/1641695914","aio":"threads","read-only":true})",
          R"(add-fd {"fdset-id":1728095198,"opaque":"/srv/b,c.iso"} | remove-fd {"fdset-id":1728095198})",
          R"(blockdev-add {"driver":"file","node-name":"cd0.file","filename":"/dev/fdset/1728095198","aio":"threads","read-only":true} | blockdev-del {"node-name":"cd0.file"})",
          R"(blockdev-add {"driver":"raw","node-name":"cd0.fmt","file":"cd0.file","read-only":true} | blockdev-del {"node-name":"cd0.fmt"})",
          R"(blockdev-insert-medium {"id":"cd0","node-name":"cd0.fmt"} | blockdev-remove-medium {"id":"cd0"})",
          R"(blockdev-close-tray {"id":"cd0"} | -)",
          R"(remove-fd {"fdset-id":1641695914} | add-fd {"fdset-id":1641695914,"opaque":"/srv/a.iso"})",
      });
}

TEST_CASE("a medium change for a disk the manifests do not have is an error", "[compiler][diff]") {
  const Vm vm = valid(cdrom_vm("/srv/a.iso"));
  auto steps = change_media_steps(vm, vm, "cd9");
  REQUIRE_FALSE(steps);
  CHECK(steps.error().message.find("cd9") != std::string::npos);
}

TEST_CASE("a disk grows on the node the guest sees: its top snapshot layer", "[compiler]") {
  Disk disk;
  disk.id = DeviceId("data");
  CHECK(resize_step(disk, 1024).call.arguments == R"({"node-name":"data.fmt","size":1024})");
  disk.layers = {{"/srv/a.qcow2", "data.s1"}, {"/srv/b.qcow2", "data.s2"}};
  const PlanStep step = resize_step(disk, 1024);
  CHECK(step.resource == "disk:data");
  CHECK(step.call.arguments == R"({"node-name":"data.s2","size":1024})");
}
