// ConsoleRelay with a socketpair as QEMU's serial socket: every byte in console.log (0600), the
// recent output on attach, input to the guest, a new console taking over, a console that does
// not read dropped at the backlog bound while the log keeps everything, and no busy loop when
// a console cannot be accepted for want of fds.
#include "supervisor/core/console_relay.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/supervisor/sd/run_loop_until.hpp"

using namespace vmforge;
using namespace std::chrono_literals;
using supervisor::ConsoleRelay;

namespace {

struct Relayed {
  test::TempDir dir = test::temp_dir();
  supervisor::StateDir state{dir.path()};
  sd::EventLoop loop = *sd::EventLoop::create();
  std::unique_ptr<ConsoleRelay> relay;
  UniqueFd guest;  // QEMU's side of the serial socket

  Relayed() {
    auto started = ConsoleRelay::start(loop.get(), state);
    REQUIRE(started);
    relay = std::move(*started);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
    guest = UniqueFd(sv[0]);
    REQUIRE(relay->attach_qemu(UniqueFd(sv[1])));
  }
  UniqueFd attach() {
    auto fd = qmp::connect_unix(state.console_socket(), true);
    REQUIRE(fd);
    return std::move(*fd);
  }
  std::string log() const { return read_file(state.console_log()).value_or(""); }
  std::size_t log_size() const {
    struct stat st {};
    return stat(state.console_log().c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
  }
  // Runs the loop until `done` (or 2 s passed).
  void spin_until(const std::function<bool()>& done) { test::run_loop_until(loop, done, 2s, 20ms); }
};

void put(int fd, std::string_view text) {
  REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == ssize_t(text.size()));
}

// What `fd` has now; `eof` set when the peer closed.
std::string take(int fd, bool* eof = nullptr) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 && eof) *eof = true;
    return out;
  }
}

}  // namespace

TEST_CASE("the console is logged unattended, replayed on attach, and relays both ways", "[supervisor]") {
  Relayed r;
  put(r.guest.get(), "boot line 1\r\n");
  r.spin_until([&] { return r.log() == "boot line 1\r\n"; });
  CHECK(r.log() == "boot line 1\r\n");
  struct stat st {};
  REQUIRE(stat(r.state.console_log().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  UniqueFd client = r.attach();
  std::string seen;
  r.spin_until([&] { return (seen += take(client.get())) == "boot line 1\r\n"; });
  CHECK(seen == "boot line 1\r\n");

  put(client.get(), "ls\n");
  std::string typed;
  r.spin_until([&] { return (typed += take(r.guest.get())) == "ls\n"; });
  CHECK(typed == "ls\n");

  put(r.guest.get(), "live\r\n");
  r.spin_until([&] { return (seen += take(client.get())).ends_with("live\r\n"); });
  CHECK(seen == "boot line 1\r\nlive\r\n");

  // A second console takes over: the first is told, then closed; the second gets the replay.
  UniqueFd second = r.attach();
  bool first_closed = false;
  r.spin_until([&] {
    seen += take(client.get(), &first_closed);
    return first_closed;
  });
  CHECK(first_closed);
  CHECK(seen.find("another 'vmforge console' attached") != std::string::npos);
  std::string replay;
  r.spin_until([&] { return (replay += take(second.get())) == "boot line 1\r\nlive\r\n"; });
  CHECK(replay == "boot line 1\r\nlive\r\n");
  CHECK(r.log() == "boot line 1\r\nlive\r\n");
}

TEST_CASE("the replay is the last kRecent bytes", "[supervisor]") {
  Relayed r;
  const std::string old(ConsoleRelay::kRecent, 'o');
  const std::string recent(ConsoleRelay::kRecent, 'r');
  for (const std::string* part : {&old, &recent}) {
    for (std::size_t at = 0; at < part->size(); at += 4096) {
      put(r.guest.get(), std::string_view(*part).substr(at, 4096));
      r.spin_until([&] { return r.log_size() >= at + 4096; });
    }
  }
  r.spin_until([&] { return r.log_size() == 2 * ConsoleRelay::kRecent; });
  UniqueFd client = r.attach();
  std::string seen;
  r.spin_until([&] { return (seen += take(client.get())).size() >= ConsoleRelay::kRecent; });
  CHECK(seen == recent);
}

TEST_CASE("a console that does not read is dropped at the bound; the log has everything", "[supervisor]") {
  Relayed r;
  UniqueFd client = r.attach();
  int small = 4096;
  REQUIRE(setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
  for (int i = 0; i < 5; ++i) REQUIRE(r.loop.run_once(20ms));  // accepted
  // More than the relay's backlog and the socket's buffers (a unix socket queues up to the
  // sender's SO_SNDBUF, ~200 KiB) together.
  const std::size_t total = 2 << 20;
  const std::string chunk(4096, 'x');
  for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
    put(r.guest.get(), chunk);
    r.spin_until([&] { return r.log_size() >= sent + chunk.size(); });
  }
  CHECK(r.log_size() == total);
  bool closed = false;
  std::string got;
  r.spin_until([&] {
    got += take(client.get(), &closed);
    return closed;
  });
  CHECK(closed);
  CHECK(got.size() < total / 2);
}

TEST_CASE("out of fds, accepting pauses instead of spinning, then resumes", "[supervisor]") {
  Relayed r;
  put(r.guest.get(), "boot\r\n");
  r.spin_until([&] { return r.log_size() == 6; });
  UniqueFd client = r.attach();  // queued: the relay cannot accept it without an fd
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit none = saved;
  none.rlim_cur = static_cast<rlim_t>(dup(0));  // the lowest free fd: no new fd from here on
  ::close(static_cast<int>(none.rlim_cur));
  REQUIRE(setrlimit(RLIMIT_NOFILE, &none) == 0);
  int iterations = 0;
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    REQUIRE(r.loop.run_once(20ms));
    ++iterations;
  }
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(iterations < 30);  // a loop woken by the queued connection each time would do thousands
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (seen != "boot\r\n" && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(r.loop.run_once(50ms));
    seen += take(client.get());
  }
  CHECK(seen == "boot\r\n");
}
