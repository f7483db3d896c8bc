// Parsing and printing of the model's strong types (ids, sizes, durations, addresses, UUIDs).
#include <catch2/catch.hpp>

#include "compiler/model/units.hpp"

using namespace vmforge;

TEST_CASE("DeviceId accepts the documented charset and rejects the rest", "[compiler]") {
  CHECK(DeviceId::parse("root").has_value());
  CHECK(DeviceId::parse("a_b-C9").has_value());
  CHECK(DeviceId::parse(std::string(24, 'a')).has_value());
  CHECK_FALSE(DeviceId::parse(std::string(25, 'a')).has_value());
  for (std::string_view bad : {"", "1abc", "_x", "a.b", "a,b", "a b"}) {
    INFO(bad);
    CHECK_FALSE(DeviceId::parse(bad).has_value());
  }
  auto reserved = DeviceId::parse("vmforge-qmp");
  REQUIRE_FALSE(reserved.has_value());
  CHECK(reserved.error().message == "id 'vmforge-qmp' uses the prefix 'vmforge', which is reserved for vmforge");
  CHECK(DeviceId("root").derived("fmt") == "root.fmt");
}

TEST_CASE("ByteSize parses suffixes as powers of 1024 and prints the largest exact unit", "[compiler]") {
  CHECK(ByteSize::parse("4096")->bytes() == 4096);
  CHECK(ByteSize::parse("512M")->bytes() == 512ull << 20);
  CHECK(ByteSize::parse("2G")->bytes() == 2ull << 30);
  CHECK(ByteSize::parse("2GiB")->bytes() == 2ull << 30);
  CHECK(ByteSize::parse("1t")->bytes() == 1ull << 40);
  CHECK(ByteSize::parse("64k")->bytes() == 64ull << 10);
  CHECK(ByteSize::parse("10B")->bytes() == 10);
  for (std::string_view bad : {"", "M", "12Q", "-1", "1.5G", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(ByteSize::parse(bad).has_value());
  }
  CHECK_FALSE(ByteSize::parse("17179869184T").has_value());  // 2^34 TiB overflows 64 bits
  CHECK(ByteSize(512ull << 20).to_string() == "512M");
  CHECK(ByteSize(3ull << 30).to_string() == "3G");
  CHECK(ByteSize(1000).to_string() == "1000");
  CHECK(ByteSize(0).to_string() == "0");
}

TEST_CASE("Duration parses ms/s/m/h and caps at a week", "[compiler]") {
  CHECK(Duration::parse("30s")->ms().count() == 30'000);
  CHECK(Duration::parse("250ms")->ms().count() == 250);
  CHECK(Duration::parse("2m")->ms().count() == 120'000);
  CHECK(Duration::parse("1h")->ms().count() == 3'600'000);
  for (std::string_view bad : {"30", "s", "3d", "169h"}) {
    INFO(bad);
    CHECK_FALSE(Duration::parse(bad).has_value());
  }
  CHECK(Duration(std::chrono::milliseconds(90'000)).to_string() == "90s");
  CHECK(Duration(std::chrono::milliseconds(120'000)).to_string() == "2m");
  CHECK(Duration(std::chrono::milliseconds(1500)).to_string() == "1500ms");
}

TEST_CASE("MacAddr parses six hex pairs, rejects multicast, prints lower case", "[compiler]") {
  auto mac = MacAddr::parse("52:54:00:AB:cd:0F");
  REQUIRE(mac.has_value());
  CHECK(mac->to_string() == "52:54:00:ab:cd:0f");
  for (std::string_view bad : {"52:54:00:ab:cd", "52-54-00-ab-cd-ef", "52:54:00:ab:cd:eg", "01:00:5e:00:00:01"}) {
    INFO(bad);
    CHECK_FALSE(MacAddr::parse(bad).has_value());
  }
}

TEST_CASE("PciAddress accepts slot and slot.function in hex", "[compiler]") {
  CHECK(PciAddress::parse("0x5")->to_string() == "0x05.0x0");
  CHECK(PciAddress::parse("1f.7")->to_string() == "0x1f.0x7");
  CHECK(PciAddress::parse("0x10.0x1")->slot() == 0x10);
  CHECK(PciAddress::parse("0x10.0x1")->function() == 1);
  for (std::string_view bad : {"0x20", "5.8", "5.", "", "00:04.0"}) {
    INFO(bad);
    CHECK_FALSE(PciAddress::parse(bad).has_value());
  }
}

TEST_CASE("HostPciAddress accepts BUS:SLOT.FN with an optional domain", "[compiler]") {
  CHECK(HostPciAddress::parse("02:00.0")->to_string() == "0000:02:00.0");
  CHECK(HostPciAddress::parse("0001:af:1f.7")->to_string() == "0001:af:1f.7");
  for (std::string_view bad : {"02:20.0", "02:00.8", "2:00.0", "02:00", "001:02:00.0"}) {
    INFO(bad);
    CHECK_FALSE(HostPciAddress::parse(bad).has_value());
  }
}

TEST_CASE("Uuid parses the canonical form and prints lower case", "[compiler]") {
  auto uuid = Uuid::parse("4CB19522-1e18-439a-883a-f9b2a3a95f5e");
  REQUIRE(uuid.has_value());
  CHECK(uuid->to_string() == "4cb19522-1e18-439a-883a-f9b2a3a95f5e");
  for (std::string_view bad : {"4cb195221e18439a883af9b2a3a95f5e", "4cb19522-1e18-439a-883a-f9b2a3a95f5",
                               "4cb19522-1e18-439a-883a+f9b2a3a95f5e", "zcb19522-1e18-439a-883a-f9b2a3a95f5e"}) {
    INFO(bad);
    CHECK_FALSE(Uuid::parse(bad).has_value());
  }
}
