// `vmforge cloud-init`: options, exit statuses, messages, and the image it writes.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/vmforge_cli.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

test::CliResult vmforge_cloud_init(std::vector<std::string> args) {
  args.insert(args.begin(), "cloud-init");
  return test::run_vmforge(args, 30s);
}

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("vmforge cloud-init writes a NoCloud seed (-o), mode 0600", "[cloudinit][cli]") {
  auto dir = test::temp_dir();
  std::string user = write(dir, "user", "#cloud-config\nhostname: cli\n");
  std::string meta = write(dir, "meta", "instance-id: i-cli\n");
  std::string net = write(dir, "net", "version: 2\n");
  std::string iso = dir.file("seed.iso");
  auto r = vmforge_cloud_init({"--user-data", user, "--meta-data", meta, "--network-config", net, "-o", iso});
  CHECK(r.err == "");
  REQUIRE(r.status == 0);
  struct stat st {};
  REQUIRE(stat(iso.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto info = launch::run({"isoinfo", "-d", "-i", iso}, 30s);
  REQUIRE(info);
  CHECK_THAT(*info, Catch::Contains("Volume id: cidata\n"));
  auto files = launch::run({"isoinfo", "-R", "-f", "-i", iso}, 30s);
  REQUIRE(files);
  CHECK(*files == "/meta-data\n/network-config\n/user-data\n");
  auto content = launch::run({"isoinfo", "-R", "-x", "/user-data", "-i", iso}, 30s);
  REQUIRE(content);
  CHECK(*content == "#cloud-config\nhostname: cli\n");
}

TEST_CASE("vmforge cloud-init --format config-2 (--output=)", "[cloudinit][cli]") {
  auto dir = test::temp_dir();
  std::string user = write(dir, "user", "#!/bin/sh\n");
  std::string meta = write(dir, "meta", "{\"uuid\": \"i-cli\"}");
  std::string iso = dir.file("seed.iso");
  auto r = vmforge_cloud_init({"--format", "config-2", "--user-data", user, "--meta-data", meta, "--output=" + iso});
  REQUIRE(r.status == 0);
  auto files = launch::run({"isoinfo", "-R", "-f", "-i", iso}, 30s);
  REQUIRE(files);
  CHECK(*files == "/openstack\n/openstack/latest\n/openstack/latest/meta_data.json\n"
                  "/openstack/latest/user_data\n");
}

TEST_CASE("vmforge cloud-init: failures exit 1 with a message, nothing written", "[cloudinit][cli]") {
  auto dir = test::temp_dir();
  std::string user = write(dir, "user", "#cloud-config\n");
  std::string yaml_meta = write(dir, "meta", "instance-id: x\n");
  std::string iso = dir.file("seed.iso");

  auto bad_meta =
      vmforge_cloud_init({"--format", "config-2", "--user-data", user, "--meta-data", yaml_meta, "-o", iso});
  CHECK(bad_meta.status == 1);
  CHECK_THAT(bad_meta.err, Catch::StartsWith("vmforge cloud-init: The meta-data of a config-2 seed "
                                             "must be a JSON object"));
  auto missing = vmforge_cloud_init({"--user-data", dir.file("nope"), "--meta-data", yaml_meta, "-o", iso});
  CHECK(missing.status == 1);
  CHECK(missing.err == "vmforge cloud-init: Failed to open '" + dir.file("nope") + "': No such file or directory\n");
  struct stat st {};
  CHECK(stat(iso.c_str(), &st) != 0);
}

TEST_CASE("vmforge cloud-init: usage errors exit 2; --help exits 0", "[cloudinit][cli]") {
  auto help = vmforge_cloud_init({"--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::StartsWith("Usage: vmforge cloud-init --user-data FILE"));

  auto no_output = vmforge_cloud_init({"--user-data", "u", "--meta-data", "m"});
  CHECK(no_output.status == 2);
  CHECK(no_output.err == "vmforge cloud-init: missing option '--output'\n"
                         "Try 'vmforge cloud-init --help'.\n");
  auto format = vmforge_cloud_init({"--user-data", "u", "--meta-data", "m", "-o", "x", "--format", "iso"});
  CHECK(format.status == 2);
  CHECK_THAT(format.err, Catch::StartsWith("vmforge cloud-init: unknown format 'iso'; expected "
                                           "'nocloud' or 'config-2'\n"));
  auto dangling = vmforge_cloud_init({"-o"});
  CHECK(dangling.status == 2);
  CHECK_THAT(dangling.err, Catch::StartsWith("vmforge cloud-init: option '-o' needs a value\n"));
}
