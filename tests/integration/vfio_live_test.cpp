// VFIO live: a host PCI function bound to vfio-pci is passed through to the running test guest
// with `vmforge apply` and removed again; `plan` names exactly those steps beforehand, and the
// guest's PCI listing shows the function's vendor:device appear and go. Needs a device named by
// VMFORGE_TEST_VFIO_DEVICE: without one the test is skipped (exit 77).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/vfio_host.hpp"
#include "tests/integration/host_support.hpp"
#include "tests/integration/live_vm.hpp"

using namespace vmforge;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDeviceVariable = "VMFORGE_TEST_VFIO_DEVICE";

// The host function to pass through: its sysfs address and "<vendor>:<device>" as the guest's
// `pci` report writes it.
struct HostFunction {
  std::string address;
  std::string ids;
};

// A sysfs ID file ("0x10de") as four lowercase hex digits; nullopt if unreadable.
std::optional<std::string> read_id(const fs::path& file) {
  std::string text;
  if (!(std::ifstream(file) >> text)) return std::nullopt;
  char* end = nullptr;
  const unsigned long id = std::strtoul(text.c_str(), &end, 16);
  if (end == text.c_str() || id > 0xffff) return std::nullopt;
  return fmt::format("{:04x}", id);
}

// The function VMFORGE_TEST_VFIO_DEVICE names, once it is usable for passthrough; else an error
// saying what is missing and how to provide it.
Result<HostFunction> host_function() {
  const char* address = std::getenv(kDeviceVariable);
  if (!address || !*address) {
    return unexpected(
        Error(fmt::format("set {} to the address of a PCI device bound to vfio-pci, e.g. {}=0000:01:00.0 (bind it "
                          "with 'driverctl set-override 0000:01:00.0 vfio-pci', package driverctl)",
                          kDeviceVariable, kDeviceVariable)));
  }
  // What vmforge itself checks before passing a function through; then the IDs to look for.
  if (auto usable = supervisor::check_vfio_function(address); !usable) return unexpected(usable.error());
  const fs::path dir = fs::path("/sys/bus/pci/devices") / address;
  const auto vendor = read_id(dir / "vendor");
  const auto device = read_id(dir / "device");
  if (!vendor || !device)
    return unexpected(Error(fmt::format("cannot read the IDs of PCI device '{}' in sysfs", address)));
  return HostFunction{address, *vendor + ":" + *device};
}

// How many PCI functions with these IDs the guest's `pci` report lists ("<ids>@<address>").
std::size_t count_ids(std::string_view pci, std::string_view ids) {
  const std::string item_start = fmt::format("{}@", ids);
  std::size_t count = 0;
  for (std::size_t at = 0; (at = pci.find(item_start, at)) != std::string_view::npos; at++) {
    if (at == 0 || pci[at - 1] == ',') count++;
  }
  return count;
}

}  // namespace

std::optional<std::string> test::missing_host_support() {
  auto function = host_function();
  if (!function) return function.error().message;
  return std::nullopt;
}

TEST_CASE("a host PCI function is passed through live and removed, as plan says beforehand", "[qemu][apply][vfio]") {
  auto function = host_function();
  REQUIRE(function);
  test::LiveVm vm;
  const std::string base = vm.manifest("base", "");
  const std::string with_vfio = vm.manifest(
      "with-vfio", fmt::format("[[vfio]]\nid = \"pt0\"\nhost = \"{}\"\nhotplug = true\n", function->address));
  vm.boot(base);
  // The guest may have emulated devices with the same IDs: count them, do not assume none.
  const std::size_t before = count_ids(vm.report().values()["pci"], function->ids);

  const JsonValue plan = vm.plan_json(with_vfio);
  CHECK(test::plan_outline(plan) == std::vector<std::string>{"+ vfio:pt0", "  device_add"});
  CHECK(plan.get_uint64("add") == 1u);
  const JsonValue device = test::step_arguments(plan, "device_add");
  CHECK(device.get_string("driver") == "vfio-pci");
  CHECK(device.get_string("id") == "pt0");
  CHECK(device.get_string("host") == function->address);
  // The text form a user reads says the same.
  vm.check_plan_adds(with_vfio, "vfio:pt0");

  vm.apply(with_vfio);
  vm.wait_report("pci", [&](std::string_view v) { return count_ids(v, function->ids) == before + 1; });
  CHECK(vm.cli({"plan", with_vfio}).status == 0);

  vm.check_plan_unplugs(base, "vfio:pt0", "pt0");
  vm.apply(base);
  vm.wait_report("pci", [&](std::string_view v) { return count_ids(v, function->ids) == before; });
  CHECK(vm.cli({"plan", base}).status == 0);
}
