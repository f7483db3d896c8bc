// vsock live: a vhost-vsock device is added to the running test guest with `vmforge apply` and
// removed again; `plan` names exactly those steps beforehand, and the guest reports the CID it
// was given. Needs /dev/vhost-vsock on the host: without it the test is skipped (exit 77).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/base/unique_fd.hpp"
#include "tests/integration/host_support.hpp"
#include "tests/integration/live_vm.hpp"

using namespace vmforge;

namespace {

constexpr const char* kVhostVsock = "/dev/vhost-vsock";
constexpr std::uint32_t kFirstGuestCid = 3;  // 0-2 are reserved (hypervisor, local, host)

}  // namespace

std::optional<std::string> test::missing_host_support() {
  UniqueFd fd(::open(kVhostVsock, O_RDWR | O_CLOEXEC));
  if (fd.valid()) return std::nullopt;
  if (errno == ENOENT)
    return fmt::format("{} is missing: load the vhost_vsock module (modprobe vhost_vsock)", kVhostVsock);
  return fmt::format("{} cannot be opened ({}): run the test as a user who may open it", kVhostVsock,
                     std::strerror(errno));
}

TEST_CASE("a vsock device is added and removed live, as plan says beforehand", "[qemu][apply][vsock]") {
  // CIDs are unique per host: our pid keeps two runs of this test (or other VMs' low CIDs) apart.
  const std::uint32_t cid = kFirstGuestCid + 1000 + static_cast<std::uint32_t>(::getpid());
  test::LiveVm vm;
  const std::string base = vm.manifest("base", "");
  const std::string with_vsock =
      vm.manifest("with-vsock", fmt::format("[[vsock]]\nid = \"vsock0\"\ncid = {}\nhotplug = true\n", cid));
  vm.boot(base);
  CHECK(vm.report().values()["vsock.cid"] == "");

  const JsonValue plan = vm.plan_json(with_vsock);
  CHECK(test::plan_outline(plan) == std::vector<std::string>{"+ vsock:vsock0", "  device_add"});
  CHECK(plan.get_uint64("add") == 1u);
  const JsonValue device = test::step_arguments(plan, "device_add");
  CHECK(device.get_string("driver") == "vhost-vsock-pci");
  CHECK(device.get_string("id") == "vsock0");
  CHECK(device.get_uint64("guest-cid") == cid);
  // The text form a user reads says the same.
  vm.check_plan_adds(with_vsock, "vsock:vsock0");

  vm.apply(with_vsock);
  // The guest's vsock transport bound the device and took the CID QEMU gave it.
  vm.wait_report("vsock.cid", [&](std::string_view v) { return v == fmt::format("{}", cid); });
  vm.wait_report("virtio", [](std::string_view v) { return test::has(v, "vsock"); });
  CHECK(vm.cli({"plan", with_vsock}).status == 0);

  vm.check_plan_unplugs(base, "vsock:vsock0", "vsock0");
  vm.apply(base);
  vm.wait_report("vsock.cid", [](std::string_view v) { return v.empty(); });
  vm.wait_report("virtio", [](std::string_view v) { return !test::has(v, "vsock"); });
  CHECK(vm.cli({"plan", base}).status == 0);
}
