// Tests for the launcher-to-supervisor handoff text.
#include "supervisor/core/handoff.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

using vmforge::UniqueFd;
using vmforge::supervisor::format_handoff;
using vmforge::supervisor::parse_handoff;

namespace {

UniqueFd open_null() { return UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC)); }

}  // namespace

TEST_CASE("a handoff survives its text, and its fds pass to the result", "[handoff]") {
  UniqueFd lock = open_null(), manifest = open_null();
  std::string cpus = GENERATE(std::string(), std::string("0-3,8"));
  std::string text = format_handoff(4242, lock.get(), manifest.get(), cpus);
  CHECK(text == fmt::format("4242:{}:{}:{}", lock.get(), manifest.get(), cpus));
  auto handoff = parse_handoff(text);
  REQUIRE(handoff);
  CHECK(handoff->qemu_pid == 4242);
  CHECK(handoff->lock.get() == lock.release());
  CHECK(handoff->manifest.get() == manifest.release());
  CHECK(handoff->cpus == cpus);
}

TEST_CASE("a malformed handoff is refused and closes nothing", "[handoff]") {
  UniqueFd lock = open_null(), manifest = open_null();
  int l = lock.get(), m = manifest.get();
  std::string text = GENERATE_COPY(
      std::string(), std::string("4242"), fmt::format("4242:{}:{}", l, m), fmt::format("x:{}:{}:", l, m),
      fmt::format("0:{}:{}:", l, m), fmt::format("-1:{}:{}:", l, m), fmt::format("4242:{}:{}:", l, l),
      std::string("4242:1:2:"), fmt::format("4242:{}:999999:", l), fmt::format("4242:{}:99999999999:", l));
  INFO(text);
  auto handoff = parse_handoff(text);
  REQUIRE_FALSE(handoff);
  CHECK(handoff.error().message.find("Invalid handoff '" + text + "'") == 0);
  CHECK(fcntl(l, F_GETFD) >= 0);
  CHECK(fcntl(m, F_GETFD) >= 0);
}
