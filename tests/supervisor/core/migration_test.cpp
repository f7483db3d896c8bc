// Tests for what `migrate` and `run --incoming` accept and what both ends set up from [migration].
#include "supervisor/core/migration.hpp"

#include <catch2/catch.hpp>

using namespace vmforge;
using namespace vmforge::supervisor;

TEST_CASE("migration URIs: tcp:HOST:PORT or unix:/PATH", "[migration]") {
  for (const char* good : {"tcp:127.0.0.1:4444", "tcp:[::1]:49152", "tcp:dst.example:1", "unix:/run/m.sock"}) {
    INFO(good);
    CHECK(valid_migration_uri(good));
  }
  for (const char* bad : {"", "tcp:", "tcp:host", "tcp::4444", "tcp:host:", "tcp:host:44x", "tcp:host:123456",
                          "unix:", "unix:/", "unix:rel.sock", "exec:cat > /tmp/x", "fd:mig", "rdma:h:1"}) {
    INFO(bad);
    CHECK_FALSE(valid_migration_uri(bad));
  }
}

TEST_CASE("capabilities and parameters come from [migration], every managed one said", "[migration]") {
  MigrationSettings defaults;
  auto caps = migration_capabilities(defaults);
  REQUIRE(caps.size() == 5);
  CHECK((caps[0].name == "events" && caps[0].state));
  CHECK((caps[1].name == "return-path" && caps[1].state));
  for (std::size_t i = 2; i < caps.size(); ++i) CHECK_FALSE(caps[i].state);
  auto params = migration_parameters(defaults);
  CHECK_FALSE(params.max_bandwidth);
  CHECK_FALSE(params.downtime_limit);
  CHECK_FALSE(params.multifd_channels);

  MigrationSettings all;
  all.auto_converge = true;
  all.postcopy = true;
  all.multifd = 4;
  all.bandwidth = ByteSize(1 << 20);
  all.downtime_limit = Duration(std::chrono::milliseconds(50));
  for (const auto& c : migration_capabilities(all)) CHECK(c.state);
  params = migration_parameters(all);
  CHECK(params.max_bandwidth == 1u << 20);
  CHECK(params.downtime_limit == 50u);
  CHECK(params.multifd_channels == 4u);
}
