// Seed layouts and their ISO 9660 images, read back with isoinfo (genisoimage) and xorriso.
#include "supervisor/cloudinit/seed.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "tests/supervisor/cloudinit/seed_files.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

cloudinit::SeedContent sample(bool with_network) {
  cloudinit::SeedContent c;
  c.user_data = "#cloud-config\nhostname: seed-test\n";
  c.meta_data = "{\"instance-id\": \"i-42\", \"uuid\": \"5d5c3c2a\"}\n";
  if (with_network) c.network_config = "{\"links\": [], \"networks\": [], \"services\": []}\n";
  return c;
}

std::string isoinfo(std::vector<std::string> args) {
  args.insert(args.begin(), "isoinfo");
  auto out = launch::run(args, 30s);
  REQUIRE(out);
  return *out;
}

}  // namespace

TEST_CASE("the NoCloud layout: cidata with user-data, meta-data, network-config", "[cloudinit]") {
  auto layout = cloudinit::seed_layout(CloudInitFormat::nocloud, sample(true));
  REQUIRE(layout);
  CHECK(layout->volume_id == "cidata");
  REQUIRE(layout->files.size() == 3);
  CHECK(layout->files[0].path == "user-data");
  CHECK(layout->files[0].mode == 0400);
  CHECK(layout->files[1].path == "meta-data");
  CHECK(layout->files[1].mode == 0444);
  CHECK(layout->files[2].path == "network-config");

  auto no_net = cloudinit::seed_layout(CloudInitFormat::nocloud, sample(false));
  REQUIRE(no_net);
  CHECK(no_net->files.size() == 2);
}

TEST_CASE("the ConfigDrive layout: config-2 with openstack/latest", "[cloudinit]") {
  auto layout = cloudinit::seed_layout(CloudInitFormat::config_2, sample(true));
  REQUIRE(layout);
  CHECK(layout->volume_id == "config-2");
  REQUIRE(layout->files.size() == 3);
  CHECK(layout->files[0].path == "openstack/latest/user_data");
  CHECK(layout->files[1].path == "openstack/latest/meta_data.json");
  CHECK(layout->files[2].path == "openstack/latest/network_data.json");
}

TEST_CASE("config-2 metadata must be JSON objects; NoCloud's is taken as it is", "[cloudinit]") {
  auto content = sample(false);
  content.meta_data = "instance-id: i-42\n";
  auto layout = cloudinit::seed_layout(CloudInitFormat::config_2, content);
  REQUIRE_FALSE(layout);
  CHECK_THAT(layout.error().message,
             Catch::StartsWith("The meta-data of a config-2 seed must be a JSON object (it becomes "
                               "openstack/latest/meta_data.json): "));
  CHECK(cloudinit::seed_layout(CloudInitFormat::nocloud, content));

  content = sample(false);
  content.network_config = "[1, 2]";
  auto net = cloudinit::seed_layout(CloudInitFormat::config_2, content);
  REQUIRE_FALSE(net);
  CHECK(net.error().message == "The network config of a config-2 seed must be a JSON object (it "
                               "becomes openstack/latest/network_data.json)");
}

TEST_CASE("a config-2 image reads back with isoinfo: label, Rock Ridge, Joliet, content", "[cloudinit]") {
  auto dir = test::temp_dir();
  auto content = sample(true);
  std::string iso = test::write_seed_file(dir, "seed.iso", CloudInitFormat::config_2, content);

  CHECK_THAT(isoinfo({"-d", "-i", iso}), Catch::Contains("Volume id: config-2\n") &&
                                             Catch::Contains("Rock Ridge signatures version") &&
                                             Catch::Contains("Joliet with UCS level 3 found"));
  CHECK(isoinfo({"-R", "-f", "-i", iso}) == "/openstack\n/openstack/latest\n/openstack/latest/meta_data.json\n"
                                            "/openstack/latest/network_data.json\n/openstack/latest/user_data\n");
  CHECK(isoinfo({"-J", "-f", "-i", iso}) == "/openstack\n/openstack/latest\n/openstack/latest/meta_data.json\n"
                                            "/openstack/latest/network_data.json\n/openstack/latest/user_data\n");
  CHECK(isoinfo({"-R", "-x", "/openstack/latest/user_data", "-i", iso}) == content.user_data);
  CHECK(isoinfo({"-R", "-x", "/openstack/latest/meta_data.json", "-i", iso}) == content.meta_data);
  CHECK(isoinfo({"-R", "-x", "/openstack/latest/network_data.json", "-i", iso}) == *content.network_config);
}

TEST_CASE("a NoCloud image reads back with xorriso: label, names, modes, owners", "[cloudinit]") {
  auto dir = test::temp_dir();
  auto content = sample(true);
  content.network_config = "version: 2\nethernets: {}\n";
  std::string iso = test::write_seed_file(dir, "seed.iso", CloudInitFormat::nocloud, content);

  auto pvd = launch::run({"xorriso", "-indev", iso, "-pvd_info"}, 30s);
  REQUIRE(pvd);
  CHECK_THAT(*pvd, Catch::Contains("Volume Id    : cidata"));
  auto listing = launch::run({"xorriso", "-indev", iso, "-lsdl", "/*"}, 30s);
  REQUIRE(listing);
  CHECK_THAT(*listing, Catch::Matches("(.|\n)*-r--r--r-- +1 0 +0 +[0-9]+ .*'/meta-data'(.|\n)*"));
  CHECK_THAT(*listing, Catch::Matches("(.|\n)*-r--r--r-- +1 0 +0 +[0-9]+ .*'/network-config'(.|\n)*"));
  CHECK_THAT(*listing, Catch::Matches("(.|\n)*-r-------- +1 0 +0 +[0-9]+ .*'/user-data'(.|\n)*"));
  CHECK(isoinfo({"-R", "-x", "/user-data", "-i", iso}) == content.user_data);
  CHECK(isoinfo({"-R", "-x", "/network-config", "-i", iso}) == *content.network_config);
}

TEST_CASE("the image depends only on its content", "[cloudinit]") {
  auto a = cloudinit::build_seed_image(CloudInitFormat::nocloud, sample(false));
  auto b = cloudinit::build_seed_image(CloudInitFormat::nocloud, sample(false));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->size() % 2048 == 0);
  auto other = sample(false);
  other.user_data += "# changed\n";
  auto c = cloudinit::build_seed_image(CloudInitFormat::nocloud, other);
  REQUIRE(c);
  CHECK(*a != *c);
}

TEST_CASE("empty and binary files survive", "[cloudinit]") {
  auto dir = test::temp_dir();
  cloudinit::SeedContent content;
  content.user_data = std::string("\0\x01\xff binary\n", 11);
  content.meta_data = "";
  std::string iso = test::write_seed_file(dir, "seed.iso", CloudInitFormat::nocloud, content);
  CHECK(isoinfo({"-R", "-x", "/user-data", "-i", iso}) == content.user_data);
  CHECK(isoinfo({"-R", "-x", "/meta-data", "-i", iso}).empty());
}
