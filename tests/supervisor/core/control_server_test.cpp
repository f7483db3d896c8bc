// Tests for the control socket server: dispatch by table, malformed input, many clients at
// once, slow or vanished clients, and peer credentials (a client running as 'nobody').
#include "supervisor/core/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/base/json_writer.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/control_client.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/supervisor/sd/run_loop_until.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;
using namespace std::chrono_literals;

namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A listening socket at `path`, or an invalid fd (no Catch2 macros: forked children use it).
UniqueFd try_listen_at(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = address_of(path);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd.get(), 128) != 0) {
    return UniqueFd();
  }
  return fd;
}

UniqueFd listen_at(const std::string& path) {
  UniqueFd fd = try_listen_at(path);
  REQUIRE(fd);
  return fd;
}

// A server with an "echo" handler (answers with the request's "text") and a "later" handler
// that answers on the next loop iteration, like a handler waiting for QMP.
struct Fixture {
  test::TempDir tmp = test::temp_dir();
  std::string path = tmp.path() + "/control.sock";
  sd::EventLoop loop = std::move(*sd::EventLoop::create());
  std::unique_ptr<ControlServer> server;
  std::vector<std::shared_ptr<ControlPeer>> later;

  Fixture() {
    auto started = ControlServer::start(loop.get(), listen_at(path));
    REQUIRE(started);
    server = std::move(*started);
    server->add_handler("echo", [](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& r) {
      auto text = r.body.get_string("text");
      peer->send_return(r.id, json_quote(text.value_or("")));
    });
    server->add_handler("subscribe", [](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& r) {
      peer->subscribe_events();
      peer->send_return(r.id, "{}");
    });
  }

  // Runs the loop until `done` holds (or 20 s pass).
  template <class Pred>
  void run_until(Pred done) { test::run_loop_until(loop, done, 20s, 50ms); }
};

}  // namespace

TEST_CASE("requests are dispatched by name; unknown and malformed ones get errors", "[control]") {
  Fixture f;
  std::atomic<bool> done = false;
  std::vector<std::string> lines;
  std::thread client([&] {
    auto c = ControlClient::connect(f.path);
    for (const char* request : {R"({"request":"echo","text":"hi","id":1})", "not json", R"({"request":"frob"})",
                                R"({"no":"name"})", R"({"request":"echo","text":"still here"})"}) {
      (void)c->send(request);
      lines.push_back(c->read_line(10s).value_or("timeout"));
    }
    done = true;
  });
  f.run_until([&] { return done.load(); });
  client.join();
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == R"({"return":"hi","id":1})");
  CHECK(lines[1].find(R"({"error":{"class":"InvalidRequest","desc":"Request is not valid JSON)") == 0);
  CHECK(lines[2] ==
        R"({"error":{"class":"UnknownRequest","desc":"Unknown request 'frob'; known requests: echo, subscribe."}})");
  CHECK(lines[3] == R"({"error":{"class":"InvalidRequest","desc":"Request lacks the member 'request'."}})");
  CHECK(lines[4] == R"({"return":"still here"})");
}

TEST_CASE("an over-long request is refused and only that client is dropped", "[control]") {
  Fixture f;
  std::atomic<bool> done = false;
  std::string first, other;
  int after = 0;
  std::thread client([&] {
    auto c = ControlClient::connect(f.path);
    (void)c->send(std::string(2 << 20, 'x'));
    first = c->read_line(10s).value_or("timeout");
    after = c->read_line(10s).error().errno_value;  // EOF or RST: unread input was dropped
    auto d = ControlClient::connect(f.path);
    other = d->call(R"({"request":"echo","text":"ok"})", 10s)->to_json();
    done = true;
  });
  f.run_until([&] { return done.load(); });
  client.join();
  CHECK(first ==
        R"({"error":{"class":"InvalidRequest","desc":"Request longer than 1048576 bytes; closing the connection."}})");
  CHECK(after == ECONNRESET);
  CHECK(other == R"("ok")");
}

TEST_CASE("100 clients at once are all served", "[control]") {
  Fixture f;
  constexpr int kClients = 100;
  std::atomic<int> answered = 0;
  std::atomic<int> finished = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto c = ControlClient::connect(f.path);
      if (c) {
        auto text = fmt::format("client {}", i);
        auto reply = c->call(fmt::format(R"({{"request":"echo","text":"{}"}})", text), 20s);
        if (reply && reply->as_string() == text) ++answered;
      }
      ++finished;
    });
  }
  f.run_until([&] { return finished.load() == kClients; });
  for (auto& t : clients) t.join();
  CHECK(answered.load() == kClients);
  f.run_until([&] { return f.server->peer_count() == 0; });
  CHECK(f.server->peer_count() == 0);
}

TEST_CASE("subscribers receive published lines until they leave", "[control]") {
  Fixture f;
  std::atomic<int> stage = 0;
  std::string event;
  std::thread client([&] {
    auto c = ControlClient::connect(f.path);
    (void)c->call(R"({"request":"subscribe"})", 10s);
    stage = 1;
    event = c->read_line(10s).value_or("timeout");
    stage = 2;
  });
  f.run_until([&] { return stage.load() == 1; });
  f.server->publish(R"({"event":"RESUME","source":"qmp"})");
  f.run_until([&] { return stage.load() == 2; });
  client.join();
  CHECK(event == R"({"event":"RESUME","source":"qmp"})");
  f.run_until([&] { return f.server->peer_count() == 0; });
  CHECK(f.server->peer_count() == 0);
}

TEST_CASE("another user is refused", "[control]") {
  if (geteuid() != 0) {
    WARN("needs root to run a client as 'nobody'; not run");
    return;
  }
  Fixture f;
  passwd* nobody = getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  // Open up the directory and socket so that the supervisor's own check is what refuses.
  REQUIRE(chmod(f.tmp.path().c_str(), 0755) == 0);
  REQUIRE(chmod(f.path.c_str(), 0666) == 0);
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  pid_t child = fork();
  if (child == 0) {
    if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(2);
    auto c = ControlClient::connect(f.path);
    std::string line = c ? c->call(R"({"request":"echo","text":"x"})", 10s).error().message : c.error().message;
    (void)!write(pipefd[1], line.data(), line.size());
    _exit(0);
  }
  close(pipefd[1]);
  int status = -1;
  f.run_until([&] { return waitpid(child, &status, WNOHANG) == child; });
  char buf[512] = {};
  (void)!read(pipefd[0], buf, sizeof buf - 1);
  close(pipefd[0]);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(std::string(buf) == "Permission denied: only root may control this VM.");
  CHECK(f.server->peer_count() == 0);
}

namespace {

// A raw client socket connected to `path` (blocking), or an invalid fd.
UniqueFd connect_raw(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = address_of(path);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

// One line read from a blocking socket (up to 10 s), without its newline.
std::string read_line_raw(int fd) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string line;
  char c = 0;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

}  // namespace

// `nc -N` and socat shut down their writing side after the request: the reply of a handler
// that answers later (status, qmp, plan wait for QEMU) must still reach them.
TEST_CASE("a client that half-closes still gets the replies in flight", "[control]") {
  Fixture f;
  std::optional<JsonValue> pending_id;
  std::shared_ptr<ControlPeer> pending;
  f.server->add_handler("later", [&](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& r) {
    pending = peer;
    pending_id = r.id;
  });
  std::atomic<bool> done = false;
  std::string reply;
  std::thread client([&] {
    UniqueFd fd = connect_raw(f.path);
    std::string request = "{\"request\":\"later\",\"id\":7}\n";
    (void)!write(fd.get(), request.data(), request.size());
    shutdown(fd.get(), SHUT_WR);
    reply = read_line_raw(fd.get());
    done = true;
  });
  f.run_until([&] { return pending != nullptr; });
  // Let the server see the EOF before the answer goes out.
  auto until = std::chrono::steady_clock::now() + 200ms;
  f.run_until([&] { return std::chrono::steady_clock::now() >= until; });
  pending->send_return(pending_id, R"("late")");
  pending.reset();
  f.run_until([&] { return done.load(); });
  client.join();
  CHECK(reply == R"({"return":"late","id":7})");
  f.run_until([&] { return f.server->peer_count() == 0; });
  CHECK(f.server->peer_count() == 0);
}

TEST_CASE("clients beyond the limit are told so and disconnected", "[control]") {
  Fixture f;
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < ControlServer::kMaxClients; ++i) {
    clients.push_back(connect_raw(f.path));
    REQUIRE(clients.back());
    f.run_until([&] { return f.server->peer_count() == i + 1; });
  }
  UniqueFd extra = connect_raw(f.path);
  REQUIRE(extra);
  f.run_until([&] {
    pollfd p{extra.get(), POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  });
  CHECK(read_line_raw(extra.get()) ==
        R"({"error":{"class":"Unavailable","desc":"Too many control clients (128) are connected; try again later."}})");
  CHECK(f.server->peer_count() == ControlServer::kMaxClients);
  clients.clear();
  f.run_until([&] { return f.server->peer_count() == 0; });
  CHECK(f.server->peer_count() == 0);
}

// Out of fds, accept() fails while the connection stays queued: the server must pause
// accepting (no busy loop, no log flood) and serve again once fds are free.
TEST_CASE("fd exhaustion pauses accepting instead of spinning", "[control]") {
  auto tmp = test::temp_dir();
  std::string path = tmp.path() + "/control.sock";
  std::string err_file = tmp.path() + "/stderr";
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The server, in a process with few fds; no Catch2 macros here.
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(err, STDERR_FILENO);
    rlimit limit{24, 24};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(10);
    sd::log_setup("t");
    auto loop = sd::EventLoop::create();
    UniqueFd listen_fd = try_listen_at(path);
    if (!loop || !listen_fd) _exit(11);
    auto server = ControlServer::start(loop->get(), std::move(listen_fd));
    if (!server) _exit(12);
    bool quit = false;
    std::uint64_t wakeups = 0;
    (*server)->add_handler("wakeups", [&](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& r) {
      peer->send_return(r.id, fmt::format("{}", wakeups));
      quit = true;
    });
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!quit && std::chrono::steady_clock::now() < deadline) {
      if (!loop->run_once(50ms)) _exit(13);
      ++wakeups;
    }
    for (int i = 0; i < 20 && loop->run_once(10ms); ++i) {
    }
    _exit(quit ? 0 : 14);
  }
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (access(path.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < deadline) usleep(10000);
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 40; ++i) clients.push_back(connect_raw(path));
  sleep(2);  // the server is out of fds with connections queued
  clients.clear();
  auto c = ControlClient::connect(path);
  REQUIRE(c);
  auto wakeups = c->call(R"({"request":"wakeups"})", 10s);
  REQUIRE(wakeups);
  int status = -1;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::string log = read_file(err_file).value_or("");
  INFO(log);
  // Spinning made hundreds of thousands of wake-ups (and log lines) in 2 s; paused, the loop
  // wakes for its 50 ms polls and the pause timer.
  CHECK(wakeups->as_uint64().value_or(1u << 30) < 1000);
  CHECK(std::count(log.begin(), log.end(), '\n') <= 6);
  CHECK(log.find("t: Failed to accept a control connection: Too many open files; pausing new connections") == 0);
}
