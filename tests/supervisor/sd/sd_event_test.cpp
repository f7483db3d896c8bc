// sd/: EventLoop, io/time/defer sources, and the trampoline turning failures into the loop's result.
#include <catch2/catch.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "compiler/base/unique_fd.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/event_source.hpp"

using vmforge::Error;
using vmforge::Result;
using vmforge::unexpected;
using vmforge::UniqueFd;
namespace sd = vmforge::sd;

namespace {

struct Probe {
  explicit Probe(sd::EventLoop* l) : loop(l) {}

  sd::EventLoop* loop;
  int timer_calls = 0;
  int defer_calls = 0;
  std::string read_text;
  std::string mode = "ok";

  Result<void> on_timer(std::uint64_t) {
    ++timer_calls;
    if (mode == "fail") return unexpected(Error("the probe failed on purpose", ENOTCONN));
    if (mode == "throw") throw std::runtime_error("thrown on purpose");
    VMFORGE_TRY_VOID(loop->exit(7));
    return {};
  }
  Result<void> on_defer() {
    ++defer_calls;
    return {};
  }
  Result<void> on_io(int fd, std::uint32_t revents) {
    if (revents & EPOLLIN) {
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) read_text.append(buf, static_cast<std::size_t>(n));
    }
    VMFORGE_TRY_VOID(loop->exit(0));
    return {};
  }
};

sd::EventLoop make_loop() {
  auto loop = sd::EventLoop::create();
  REQUIRE(loop);
  return std::move(*loop);
}

}  // namespace

TEST_CASE("a timer fires once and its handler's exit code ends run()", "[sd]") {
  sd::EventLoop loop = make_loop();
  Probe probe(&loop);
  auto timer =
      sd::add_time<&Probe::on_timer>(loop.get(), CLOCK_MONOTONIC, loop.now_usec() + 1000, 0, &probe, "probe-timer");
  REQUIRE(timer);
  auto code = loop.run();
  REQUIRE(code);
  CHECK(*code == 7);
  CHECK(probe.timer_calls == 1);
}

// An exception never crosses into sd-event: like a returned error, it becomes the loop's error.
TEST_CASE("a failing or throwing handler stops the loop with its source's description", "[sd]") {
  struct Case {
    std::string mode;
    std::string message;
    int errno_value;
  };
  for (const Case& c : {Case{"fail", "probe-timer: the probe failed on purpose", ENOTCONN},
                        Case{"throw", "probe-timer: thrown on purpose", EPROTO}}) {
    INFO("handler mode " << c.mode);
    sd::EventLoop loop = make_loop();
    Probe probe(&loop);
    probe.mode = c.mode;
    auto timer = sd::add_time<&Probe::on_timer>(loop.get(), CLOCK_MONOTONIC, 0, 0, &probe, "probe-timer");
    REQUIRE(timer);
    auto code = loop.run();
    REQUIRE_FALSE(code);
    CHECK(code.error().message == c.message);
    CHECK(code.error().errno_value == c.errno_value);
  }
}

TEST_CASE("an io source reads what the peer wrote", "[sd]") {
  sd::EventLoop loop = make_loop();
  Probe probe(&loop);
  int pair[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd a(pair[0]), b(pair[1]);
  auto io = sd::add_io<&Probe::on_io>(loop.get(), a.get(), EPOLLIN, &probe, "probe-io");
  REQUIRE(io);
  REQUIRE(::write(b.get(), "hello", 5) == 5);
  REQUIRE(loop.run());
  CHECK(probe.read_text == "hello");
}

TEST_CASE("a destroyed source never fires, and run_once reports the loop's end", "[sd]") {
  sd::EventLoop loop = make_loop();
  Probe probe(&loop);
  auto timer = sd::add_time<&Probe::on_timer>(loop.get(), CLOCK_MONOTONIC, 0, 0, &probe, "probe-timer");
  REQUIRE(timer);
  timer->reset();
  auto defer = sd::add_defer<&Probe::on_defer>(loop.get(), &probe, "probe-defer");
  REQUIRE(defer);
  REQUIRE(defer->set_enabled(sd::Enabled::oneshot));
  for (int i = 0; i < 3; ++i) REQUIRE(loop.run_once(std::chrono::milliseconds(1)));
  CHECK(probe.timer_calls == 0);
  CHECK(probe.defer_calls == 1);
  REQUIRE(loop.exit(0));
  auto first = loop.run_once(std::chrono::milliseconds(1));
  REQUIRE(first);
  CHECK_FALSE(*first);
  auto after = loop.run_once(std::chrono::milliseconds(1));
  REQUIRE(after);
  CHECK_FALSE(*after);
}
