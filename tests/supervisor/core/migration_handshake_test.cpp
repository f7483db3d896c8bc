// Tests for the migration handshake: its lines (pure), and the destination's listener against
// garbage, an oversized line and a valid hello, over unix and tcp; the URI is free for QEMU
// once it stops listening.
#include "supervisor/core/migration_handshake.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "supervisor/core/incoming_handshake.hpp"
#include "supervisor/core/migration_socket.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "tests/supervisor/sd/run_loop_until.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;
using namespace std::chrono_literals;

namespace {

const MigrationHello kHello{kHandshakeVersion, "web",
                            PciPins{3, {{"data1", "vmforge-rp0"}, {"eth1", "vmforge-rp2"}}, {{"hot1", 0x05}}}};

std::string without_newline(std::string line) {
  REQUIRE(line.ends_with('\n'));
  line.pop_back();
  return line;
}

// A blocking client of the listener; the loop is turned until its answer has come.
struct Client {
  UniqueFd fd;

  Client(sd::EventLoop& loop, const std::string& uri) {
    auto connected = connect_migration_uri(uri);
    REQUIRE(connected);
    fd = std::move(*connected);
    test::run_loop_until(
        loop, [&] { return writable(); }, 5000ms, 10ms);
  }
  bool ready(short events) const {
    pollfd p{fd.get(), events, 0};
    return poll(&p, 1, 0) == 1;
  }
  bool writable() const { return ready(POLLOUT); }
  void write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) continue;
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  // The answer line, once the loop produced it ("" if the connection closed without one).
  std::string answer(sd::EventLoop& loop) {
    test::run_loop_until(
        loop, [&] { return ready(POLLIN); }, 5000ms, 10ms);
    std::string text;
    char buffer[512];
    for (int i = 0; i < 100 && text.find('\n') == std::string::npos; ++i) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n == 0) break;
      if (n < 0) {
        REQUIRE(errno == EAGAIN);
        REQUIRE(loop.run_once(10ms));
        continue;
      }
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }
};

}  // namespace

TEST_CASE("a hello carries the version, the VM's name and its pins, and reads back the same", "[migration]") {
  const std::string line = hello_line(kHello);
  CHECK(
      line ==
      R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":3,"ports":{"data1":"vmforge-rp0","eth1":"vmforge-rp2"},)"
      R"("slots":{"hot1":5}}})"
      "\n");
  auto back = parse_hello(without_newline(line));
  REQUIRE(back);
  CHECK(back->vm == "web");
  CHECK(back->pins == kHello.pins);
  CHECK(parse_reply(without_newline(reply_line(""))));
  auto refused = parse_reply(without_newline(reply_line("no room")));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == "no room");
}

TEST_CASE("a hello that is not one is refused with what is wrong", "[migration]") {
  const std::pair<const char*, const char*> cases[] = {
      {"GET / HTTP/1.1", "not a vmforge migration handshake: Failed to parse JSON"},
      {"[]", "no 'vmforge_migration' version"},
      {R"({"vmforge_migration":1,"vm":"web"})", "the source speaks handshake version 1"},
      {R"({"vmforge_migration":2})", "no 'vm' name"},
      {R"({"vmforge_migration":2,"vm":"web"})", "no valid 'pins'"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":256,"ports":{},"slots":{}}})", "no valid 'pins'"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":1,"ports":[],"slots":{}}})", "no valid 'pins'"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":1,"ports":{}}})", "no valid 'pins'"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":1,"ports":{"a":1},"slots":{}}})",
       "the port of 'a' is not a string"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":2,"ports":{"a":"x","a":"y"},"slots":{}}})",
       "'a' is pinned twice"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":0,"ports":{},"slots":{"a":32}}})",
       "the slot of 'a' is not 0 to 31"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":0,"ports":{},"slots":{"a":"5"}}})",
       "the slot of 'a' is not 0 to 31"},
      {R"({"vmforge_migration":2,"vm":"web","pins":{"root_ports":0,"ports":{},"slots":{"a":5,"a":6}}})",
       "'a' is pinned twice"},
  };
  for (const auto& [line, why] : cases) {
    INFO(line);
    auto hello = parse_hello(line);
    REQUIRE_FALSE(hello);
    CHECK(hello.error().message.find(why) != std::string::npos);
  }
  CHECK_FALSE(parse_reply("{}"));
  CHECK_FALSE(parse_reply("\x01\x02"));
}

TEST_CASE("the destination's listener answers garbage and oversized lines, then a valid hello", "[migration]") {
  test::TempDir tmp = test::temp_dir();
  const std::string path = tmp.path() + "/m.sock";
  for (const std::string& uri : {"unix:" + path, fmt::format("tcp:127.0.0.1:{}", test::free_tcp_port())}) {
    INFO(uri);
    sd::EventLoop loop = std::move(*sd::EventLoop::create());
    std::optional<MigrationHello> got;
    auto listener = IncomingHandshake::listen(loop.get(), uri, [&](MigrationHello hello) { got = hello; });
    REQUIRE(listener);
    IncomingHandshake& h = **listener;

    Client garbage(loop, uri);
    garbage.write_all("\xff\xfe not json\n");
    CHECK(garbage.answer(loop).find(R"({"ok":false,"error":"not a vmforge migration handshake)") == 0);

    Client oversized(loop, uri);
    oversized.write_all(std::string(kHandshakeMaxLine, 'x'));
    CHECK(oversized.answer(loop) == R"({"ok":false,"error":"a line longer than 16384 bytes"})"
                                    "\n");

    Client silent_then_gone(loop, uri);
    silent_then_gone.fd.reset();

    Client source(loop, uri);
    source.write_all(hello_line(kHello));
    test::run_loop_until(
        loop, [&] { return got.has_value(); }, 5000ms, 10ms);
    REQUIRE(got);
    CHECK(got->pins == kHello.pins);
    CHECK(h.answering());
    // A second source while the first is handled is told so.
    Client second(loop, uri);
    second.write_all(hello_line(kHello));
    CHECK(second.answer(loop).find("another migration's handshake is under way") != std::string::npos);

    // The URI is QEMU's once the listener stopped, while the source still waits for the answer
    // (tcp: SO_REUSEADDR on both sides, as QEMU sets it).
    h.stop_listening();
    if (uri.starts_with("unix:")) {
      struct stat st {};
      CHECK(lstat(path.c_str(), &st) != 0);
    }
    auto qemu = listen_migration_uri(uri);
    CHECK(qemu);
    h.answer("");
    CHECK(source.answer(loop) == "{\"ok\":true}\n");
    CHECK_FALSE(h.answering());
  }
}

TEST_CASE("a source finds out at once that nobody listens (its cue to wait or fail)", "[migration]") {
  test::TempDir tmp = test::temp_dir();
  auto unix_absent = connect_migration_uri("unix:" + tmp.path() + "/none.sock");
  REQUIRE_FALSE(unix_absent);
  CHECK(unix_absent.error().errno_value == ENOENT);
  auto tcp = connect_migration_uri(fmt::format("tcp:127.0.0.1:{}", test::free_tcp_port()));
  REQUIRE(tcp);  // non-blocking: the refusal comes as SO_ERROR
  pollfd p{tcp->get(), POLLOUT, 0};
  REQUIRE(poll(&p, 1, 5000) == 1);
  int err = 0;
  socklen_t len = sizeof err;
  REQUIRE(getsockopt(tcp->get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0);
  CHECK(err == ECONNREFUSED);
}
