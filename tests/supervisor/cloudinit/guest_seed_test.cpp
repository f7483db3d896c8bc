// Issue 3 acceptance 5: the test guest mounts seed images built by vmforge and reports the
// user-data it found, as a read-only virtio disk (how the compiler attaches [cloud_init]) and
// as a CD-ROM whose medium is changed live.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "supervisor/cloudinit/seed.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "tests/supervisor/cloudinit/seed_files.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/result_printer.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

std::string read_only_file(const std::string& node, const std::string& path) {
  return R"({"driver":"raw","node-name":")" + node + R"(","read-only":true,"file":{"driver":"file","filename":")" +
         path + R"(","read-only":true}})";
}

}  // namespace

TEST_CASE("the guest finds NoCloud and ConfigDrive seeds and a changed medium", "[cloudinit][guest]") {
  auto dir = test::temp_dir();
  cloudinit::SeedContent nocloud{"#cloud-config\nhostname: nocloud-guest\nruncmd: [\"echo \\\\ ok\"]\n",
                                 "instance-id: i-nocloud\n", "version: 2\n"};
  cloudinit::SeedContent config2{"#!/bin/sh\necho config-drive \xc3\xa9t\xc3\xa9\n", "{\"uuid\": \"i-config2\"}",
                                 std::nullopt};
  std::string nocloud_iso = test::write_seed_file(dir, "nocloud.iso", CloudInitFormat::nocloud, nocloud);
  std::string config2_iso = test::write_seed_file(dir, "config2.iso", CloudInitFormat::config_2, config2);

  test::GuestVmOptions options;
  options.extra_args = {"-blockdev", read_only_file("seed.fmt", nocloud_iso),
                        "-device",   R"({"driver":"virtio-blk-pci","id":"seed","drive":"seed.fmt"})",
                        "-blockdev", read_only_file("cd.fmt", config2_iso),
                        "-device",   R"({"driver":"virtio-scsi-pci","id":"scsi0"})",
                        "-device",   R"({"driver":"scsi-cd","id":"cd0","bus":"scsi0.0","drive":"cd.fmt"})"};
  auto vm = test::start_guest(dir, options);
  REQUIRE(vm);
  REQUIRE(vm->report.wait_ready(test::kGuestBootTimeout));

  auto v = vm->report.wait_for_key(
      "seed.vda.user-data", [](std::string_view) { return true; }, test::kGuestReportTimeout);
  REQUIRE(v);
  CHECK((*v)["seed.vda"] == "label=cidata files=meta-data,network-config,user-data");
  CHECK(test::decode_report_value((*v)["seed.vda.user-data"]) == nocloud.user_data);
  CHECK(test::decode_report_value((*v)["seed.vda.meta-data"]) == nocloud.meta_data);
  CHECK(test::report_field((*v)["block.vda"], "ro") == "1");

  v = vm->report.wait_for_key(
      "seed.sr0.user-data", [](std::string_view) { return true; }, test::kGuestReportTimeout);
  REQUIRE(v);
  CHECK((*v)["seed.sr0"] == "label=config-2 files=openstack/latest/meta_data.json,"
                            "openstack/latest/user_data");
  CHECK(test::decode_report_value((*v)["seed.sr0.user-data"]) == config2.user_data);
  CHECK(test::decode_report_value((*v)["seed.sr0.meta-data"]) == config2.meta_data);

  // A new medium of the same size and with the same (fixed-time) volume descriptor.
  cloudinit::SeedContent changed = config2;
  changed.user_data = "#!/bin/sh\necho second medium\n";
  std::string changed_iso = test::write_seed_file(dir, "changed.iso", CloudInitFormat::config_2, changed);
  auto qmp = qmp::BlockingClient::connect(vm->qmp_socket);
  REQUIRE(qmp);
  REQUIRE(qmp->execute("blockdev-change-medium", R"({"id":"cd0","filename":")" + changed_iso +
                                                     R"(","format":"raw","read-only-mode":"read-only"})"));
  std::string expected = "#!/bin/sh\\necho second medium\\n";
  REQUIRE(vm->report.wait_for_value("seed.sr0.user-data", expected, test::kGuestReportTimeout));

  REQUIRE(qmp->execute("system_powerdown"));
  auto status = vm->qemu.wait(60s);
  REQUIRE(status);
  CHECK(status->success());
}
