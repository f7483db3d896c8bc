// The enum name tables: every value round-trips, names are unique, unknown names are refused.
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "compiler/model/enums.hpp"

using namespace vmforge;

namespace {

template <class E>
void check_table() {
  std::set<std::string_view> names;
  for (const auto& entry : enum_names<E>()) {
    CHECK(names.insert(entry.name).second);
    CHECK(to_string(entry.value) == entry.name);
    auto back = enum_from_string<E>(entry.name);
    REQUIRE(back.has_value());
    CHECK(*back == entry.value);
  }
  CHECK_FALSE(enum_from_string<E>("no-such-value").has_value());
  CHECK_FALSE(enum_from_string<E>("").has_value());
}

}  // namespace

TEST_CASE("every enum table round-trips", "[compiler]") {
  check_table<MachineFamily>();
  check_table<Accel>();
  check_table<Transport>();
  check_table<Vga>();
  check_table<MemoryBackendKind>();
  check_table<RtcBase>();
  check_table<RtcClock>();
  check_table<RtcDriftFix>();
  check_table<SandboxPolicy>();
  check_table<IncomingKind>();
  check_table<ConfidentialKind>();
  check_table<DiskFormat>();
  check_table<DiskBus>();
  check_table<DiskMedia>();
  check_table<DiskAio>();
  check_table<DiskCache>();
  check_table<NetBackend>();
  check_table<CharBackend>();
  check_table<SerialFrontend>();
  check_table<Fs9pSecurityModel>();
  check_table<Fs9pMultidev>();
  check_table<VhostUserKind>();
  check_table<VfioKind>();
  check_table<BridgeKind>();
  check_table<CloudInitFormat>();
}

TEST_CASE("enum names use the manifest's spelling", "[compiler]") {
  CHECK(to_string(NetBackend::veth_tap) == "veth-tap");
  CHECK(to_string(NetBackend::vhost_user) == "vhost-user");
  CHECK(to_string(Fs9pSecurityModel::mapped_xattr) == "mapped-xattr");
  CHECK(to_string(CloudInitFormat::config_2) == "config-2");
  CHECK(enum_choices<DiskMedia>() == "'disk' or 'cdrom'");
  CHECK(enum_choices<Accel>() == "'kvm', 'tcg' or 'xen'");
}
