// Client against a scripted, hostile QMP peer over a socketpair, driving a real sd_event loop:
// handshake, pipelining, errors, events, timeouts, cancellation, fd passing, and every way a
// peer can misbehave (garbage, bad UTF-8, huge lines, split writes, stray replies, floods, EOF,
// silence). The client must never crash or hang, and must say clearly what happened.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "tests/supervisor/qmp/fake_qmp_peer.hpp"

using namespace std::chrono_literals;
using namespace vmforge;
using namespace vmforge::qmp;
using vmforge::test::FakeQmpPeer;
using vmforge::test::PeerIo;
using vmforge::test::ReceivedCommand;

namespace {

sd::EventLoop make_loop() {
  auto loop = sd::EventLoop::create();
  REQUIRE(loop);
  return std::move(*loop);
}

// One client on a real loop, the peer's script on its thread, and what the client reported.
struct Harness {
  explicit Harness(ClientOptions options = {}) : loop(make_loop()) {
    auto attached = Client::attach(loop.get(), peer.take_client_fd(), options);
    REQUIRE(attached);
    client = std::move(*attached);
    client->on_ready([this] { ready = true; });
    client->on_disconnect([this](const Error& e) {
      ++disconnects;
      reason = e;
    });
  }

  // Runs the loop until `done` or `limit` passes; returns done().
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      auto r = loop.run_once(10ms);
      REQUIRE(r);
    }
    return true;
  }

  // Sends a command whose outcome lands in the returned slot.
  std::shared_ptr<std::optional<Result<JsonValue>>> send(std::string_view command, std::string_view args = {},
                                                         Timeout timeout = 5s) {
    auto slot = std::make_shared<std::optional<Result<JsonValue>>>();
    auto id = client->execute(command, args, timeout, [slot](Result<JsonValue> r) { *slot = std::move(r); });
    REQUIRE(id);
    return slot;
  }

  sd::EventLoop loop;
  FakeQmpPeer peer;
  std::unique_ptr<Client> client;
  bool ready = false;
  int disconnects = 0;
  std::optional<Error> reason;
};

bool has(const std::shared_ptr<std::optional<Result<JsonValue>>>& slot) { return slot->has_value(); }

}  // namespace

TEST_CASE("handshake negotiates oob when offered and queued commands follow", "[qmp]") {
  Harness h;
  std::optional<ReceivedCommand> caps, status;
  h.peer.run([&](PeerIo& io) {
    io.greet();
    caps = io.read_command();
    // The held command comes right behind qmp_capabilities, before its reply.
    status = io.read_command();
    if (caps) io.reply(*caps);
    if (status) io.reply(*status, R"({"status": "prelaunch", "singlestep": false, "running": false})");
  });
  CHECK(h.client->state() == ClientState::awaiting_greeting);
  auto slot = h.send("query-status");  // issued before the greeting: held, then sent
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  REQUIRE(caps);
  CHECK(caps->arguments.to_json() == R"({"enable":["oob"]})");
  CHECK(h.ready);
  CHECK(h.client->state() == ClientState::running);
  CHECK(h.client->oob_enabled());
  CHECK(h.client->greeting().major == 7);
  CHECK(h.client->greeting().package == "Debian 1:7.2+dfsg-7");
  REQUIRE(status);
  CHECK(status->execute == "query-status");
  REQUIRE(**slot);
  CHECK((**slot)->get_string("status") == std::string_view("prelaunch"));
}

TEST_CASE("without oob on offer, qmp_capabilities carries no arguments", "[qmp]") {
  Harness h;
  std::optional<ReceivedCommand> caps;
  h.peer.run([&](PeerIo& io) { caps = io.handshake("[]"); });
  REQUIRE(h.pump([&] { return h.ready; }));
  h.peer.join();
  REQUIRE(caps);
  CHECK(caps->arguments.is_null());
  CHECK_FALSE(h.client->oob_enabled());
}

// QEMU answers a monitor's in-band commands in order, and reads its input a byte per pass of its
// loop: no id, no empty arguments, no newline.
TEST_CASE("pipelined commands go out without ids and are matched to replies in order", "[qmp]") {
  Harness h;
  std::vector<ReceivedCommand> got;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    for (int i = 0; i < 3; ++i) {
      if (auto c = io.read_command()) got.push_back(std::move(*c));
    }
    for (const ReceivedCommand& c : got) io.reply(c, "\"" + c.execute + "\"");
  });
  REQUIRE(h.pump([&] { return h.ready; }));
  auto a = h.send("a");
  auto b = h.send("b", R"({"x": [1, 2]})");
  auto c = h.send("c", "{}");
  REQUIRE(h.pump([&] { return has(a) && has(b) && has(c); }));
  h.peer.join();
  REQUIRE(got.size() == 3);
  CHECK(got[0].text == R"({"execute":"a"})");
  CHECK(got[1].text == R"({"execute":"b","arguments":{"x": [1, 2]}})");
  CHECK(got[2].text == R"({"execute":"c"})");
  CHECK((**a)->as_string() == std::string_view("a"));
  CHECK((**b)->as_string() == std::string_view("b"));
  CHECK((**c)->as_string() == std::string_view("c"));
  CHECK(h.client->pending() == 0);
}

TEST_CASE("an idle client does not wake for the deadline of a command already answered", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto c = io.read_command()) io.reply(*c);
    io.wait_closed();  // hold the connection open and silent until the client goes
  });
  REQUIRE(h.pump([&] { return h.ready; }));
  auto a = h.send("a", {}, 100ms);
  REQUIRE(h.pump([&] { return has(a); }));
  // A timer left armed for the answered command would end this wait after about 100 ms.
  const auto start = std::chrono::steady_clock::now();
  auto woke = h.loop.run_once(300ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE(woke);
  CHECK(waited >= 290ms);
  CHECK(h.disconnects == 0);
  h.client.reset();
  h.peer.join();
}

TEST_CASE("query refuses commands that change state and progress queries, whose answers move", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) { io.handshake(); });
  REQUIRE(h.pump([&] { return h.ready; }));
  for (const char* command : {"stop", "query-jobs", "query-migrate", "query-blockstats"}) {
    auto id = h.client->query(QmpCall{command}, 1s, [](Result<JsonValue>) {});
    REQUIRE_FALSE(id);
    CHECK(id.error().message == std::string("QMP command '").append(command).append("' is not a query"));
  }
  CHECK(h.client->pending() == 0);
  h.peer.join();
}

TEST_CASE("query reuses a reply until an event or another command; one overtaken by either is not kept", "[qmp]") {
  Harness h;
  std::vector<std::string> got;
  std::promise<void> reuse_checked;
  h.peer.run([&, checked = reuse_checked.get_future().share()](PeerIo& io) {
    io.handshake();
    auto answer = [&](std::string_view value, std::string_view event_first = {}) {
      auto c = io.read_command();
      if (!c) return;
      got.push_back(c->execute);
      if (!event_first.empty()) io.event(event_first);
      io.reply(*c, value);
    };
    answer(R"({"status":"running"})");
    answer("{}");  // stop
    answer(R"({"status":"paused"})");
    if (checked.wait_for(5s) == std::future_status::ready) io.event("RESUME");
    answer(R"({"status":"paused"})", "STOP");  // the event overtakes the reply
    answer(R"({"status":"paused"})");
    io.wait_closed();
  });
  REQUIRE(h.pump([&] { return h.ready; }));
  int events = 0;
  h.client->subscribe("", {}, [&](const Event&) { ++events; });
  auto query = [&] {
    auto slot = std::make_shared<std::optional<Result<JsonValue>>>();
    auto id = h.client->query(QmpCall{"query-status"}, 5s, [slot](Result<JsonValue> r) { *slot = std::move(r); });
    REQUIRE(id);
    return std::make_pair(*id, slot);
  };
  auto status_of = [](const std::shared_ptr<std::optional<Result<JsonValue>>>& slot) {
    REQUIRE(**slot);
    return std::string((**slot)->get_string("status").value_or(""));
  };
  auto first = query();
  REQUIRE(h.pump([&] { return has(first.second); }));
  auto reused = query();
  CHECK(reused.first == 0);
  REQUIRE(has(reused.second));
  CHECK(status_of(reused.second) == "running");

  auto stopped = h.send("stop");
  REQUIRE(h.pump([&] { return has(stopped); }));
  auto after_stop = query();
  CHECK(after_stop.first != 0);
  REQUIRE(h.pump([&] { return has(after_stop.second); }));
  CHECK(status_of(after_stop.second) == "paused");
  CHECK(query().first == 0);
  reuse_checked.set_value();

  REQUIRE(h.pump([&] { return events == 1; }));
  auto after_event = query();
  CHECK(after_event.first != 0);
  REQUIRE(h.pump([&] { return has(after_event.second); }));
  auto after_overtaken = query();
  CHECK(after_overtaken.first != 0);
  REQUIRE(h.pump([&] { return has(after_overtaken.second); }));
  CHECK(status_of(after_overtaken.second) == "paused");
  CHECK(events == 2);

  auto refused = h.client->query(QmpCall{"stop"}, 5s, [](Result<JsonValue>) {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().errno_value == EINVAL);
  h.client.reset();
  h.peer.join();
  CHECK(got == std::vector<std::string>{"query-status", "stop", "query-status", "query-status", "query-status"});
}

TEST_CASE("an error reply carries QMP's class and desc", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto c = io.read_command()) io.reply_error(*c, "DeviceNotActive", "No balloon device has been activated");
  });
  auto slot = h.send("query-balloon");
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  REQUIRE_FALSE(**slot);
  const Error& e = (**slot).error();
  CHECK(e.errno_value == EREMOTEIO);
  CHECK(e.message == "QMP command 'query-balloon' failed: No balloon device has been activated (DeviceNotActive)");
  CHECK(qmp_error_class(e) == "DeviceNotActive");
  CHECK(qmp_error_class(Error("x (Y)", ETIMEDOUT)).empty());
  // The class is the reply's, never read back out of a message (a relayed one may end in "(…)").
  CHECK(qmp_error_class(Error("QMP command 'x' failed: busy (DeviceInUse)", EREMOTEIO)).empty());
}

TEST_CASE("events reach matching subscribers, between replies and in order", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto c = io.read_command()) {
      io.event("DEVICE_DELETED", R"({"path": "/machine/peripheral/vd1/virtio-backend"})");
      io.event("DEVICE_DELETED", R"({"device": "vd1", "path": "/machine/peripheral/vd1"})");
      io.event("STOP");
      io.reply(*c);
    }
  });
  std::vector<std::string> all, deleted;
  h.client->subscribe({}, {}, [&](const Event& e) { all.push_back(e.name); });
  h.client->subscribe("DEVICE_DELETED", data_equals("device", "vd1"),
                      [&](const Event& e) { deleted.push_back(std::string(*e.data.get_string("path"))); });
  SubscriptionId gone = h.client->subscribe("STOP", {}, [&](const Event&) { FAIL("unsubscribed handler ran"); });
  h.client->unsubscribe(gone);
  auto slot = h.send("device_del", R"({"id": "vd1"})");
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  CHECK(all == std::vector<std::string>{"DEVICE_DELETED", "DEVICE_DELETED", "STOP"});
  CHECK(deleted == std::vector<std::string>{"/machine/peripheral/vd1"});
  CHECK(**slot);
}

TEST_CASE("EOF with commands pending fails each of them and disconnects once", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    io.read_command();
    io.read_command();
  });
  REQUIRE(h.pump([&] { return h.ready; }));
  auto a = h.send("stop");
  auto b = h.send("cont");
  REQUIRE(h.pump([&] { return has(a) && has(b); }));
  h.peer.join();
  REQUIRE_FALSE(**a);
  CHECK((**a).error().message == "QMP command 'stop' failed: QMP peer closed the connection");
  CHECK((**a).error().errno_value == ECONNRESET);
  CHECK((**b).error().message == "QMP command 'cont' failed: QMP peer closed the connection");
  CHECK(h.disconnects == 1);
  CHECK(h.client->state() == ClientState::disconnected);
  auto late = h.client->execute("query-status", {}, 1s, [](Result<JsonValue>) { FAIL("handler ran"); });
  REQUIRE_FALSE(late);
  CHECK(late.error().errno_value == ENOTCONN);
  CHECK(late.error().message == "Cannot send QMP command 'query-status': the connection is closed");
}

TEST_CASE("garbage from the peer ends the connection with the offending bytes quoted", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    io.read_command();
    io.send("this is \x01 not json\r\n");
    io.wait_closed();
  });
  auto slot = h.send("query-status");
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  REQUIRE(h.reason);
  CHECK(h.reason->errno_value == EBADMSG);
  CHECK(h.reason->message.find("QMP peer sent an invalid message (Failed to parse JSON") == 0);
  CHECK(h.reason->message.find("'this is \\x01 not json'") != std::string::npos);
  CHECK((**slot).error().message.find("QMP command 'query-status' failed: QMP peer sent an invalid message") == 0);
}

TEST_CASE("invalid UTF-8 in a reply is refused, not passed on", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto c = io.read_command()) io.send("{\"return\": \"caf\xc3\x28\", \"id\": " + c->id.to_json() + "}\r\n");
    io.wait_closed();
  });
  auto slot = h.send("qom-get");
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  REQUIRE(h.reason);
  CHECK(h.reason->message.find("UTF-8") != std::string::npos);
  CHECK(h.reason->message.find("caf\\xc3(") != std::string::npos);
}

TEST_CASE("a 20 MB reply within the limit arrives intact", "[qmp]") {
  Harness h;
  const std::size_t size = 20u << 20;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto c = io.read_command()) {
      io.send("{\"return\": \"" + std::string(size, 'x') + "\"}\r\n");
    }
  });
  auto slot = h.send("query-qmp-schema");
  REQUIRE(h.pump([&] { return has(slot); }, 30s));
  h.peer.join();
  REQUIRE(**slot);
  CHECK((**slot)->as_string()->size() == size);
}

TEST_CASE("a 20 MB line over the limit is cut off early with a clear error", "[qmp]") {
  ClientOptions options;
  options.max_message_size = 1u << 20;
  Harness h(options);
  std::atomic<bool> peer_write_failed{false};
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    io.read_command();
    peer_write_failed = !io.send(std::string(20u << 20, 'y'));
  });
  auto slot = h.send("query-status");
  REQUIRE(h.pump([&] { return has(slot); }, 30s));
  h.peer.join();
  CHECK(peer_write_failed);  // the client stopped reading long before the 20 MB were through
  REQUIRE(h.reason);
  CHECK(h.reason->errno_value == EMSGSIZE);
  CHECK(h.reason->message == "QMP peer sent an invalid message: QMP message longer than the maximum of 1048576 bytes");
  CHECK((**slot).error().errno_value == EMSGSIZE);
}

TEST_CASE("a greeting and reply written one byte at a time", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.send_split(
        R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}})"
        "\r\n",
        1);
    if (io.read_command()) io.send_split("{\"return\": {}}\r\n", 1);
    if (io.read_command())
      io.send_split(R"({"return": {"status": "running", "running": true}})"
                    "\r\n",
                    1);
  });
  auto slot = h.send("query-status");
  REQUIRE(h.pump([&] { return has(slot); }));
  h.peer.join();
  REQUIRE(**slot);
  CHECK((**slot)->get_bool("running") == true);
}

// Matched in order, a reply the client cannot place would shift every later reply onto the
// wrong command: the connection ends instead.
TEST_CASE("a reply with an id, or while no command waits, ends the connection", "[qmp]") {
  const std::string with_id = R"({"return": {}, "id": 1})";
  const std::string id_less_error = R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '-s'"}})";
  for (bool pending : {true, false}) {
    for (const std::string& stray : {with_id, id_less_error}) {
      if (stray == id_less_error && pending) continue;  // the reply of the pending command
      Harness h;
      h.peer.run([&](PeerIo& io) {
        io.handshake();
        if (pending) io.read_command();
        io.send(stray + "\r\n");
        io.wait_closed();
      });
      REQUIRE(h.pump([&] { return h.ready; }));
      auto slot = pending ? h.send("query-status") : nullptr;
      REQUIRE(h.pump([&] { return h.disconnects == 1; }));
      h.peer.join();
      CHECK(h.reason->errno_value == EBADMSG);
      CHECK(h.reason->message ==
            (stray == with_id
                 ? "QMP peer sent a reply with an id, but no command was sent with one: '" + stray + "'"
                 : "QMP peer sent a reply while no command was waiting for one: '" + excerpt(stray) + "'"));
      if (slot) CHECK((**slot).error().errno_value == EBADMSG);
    }
  }
}

TEST_CASE("a flood of 100k events neither loses events nor delays the reply behind them", "[qmp]") {
  Harness h;
  const int kEvents = 100000;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto c = io.read_command();
    std::string batch;
    for (int i = 0; i < kEvents; ++i) {
      batch += R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "BALLOON_CHANGE", "data": {"actual": )" +
               std::to_string(i) + "}}\r\n";
      if (i == kEvents / 2 && c) batch += "{\"return\": {}}\r\n";
      if (batch.size() > 65536) {
        io.send(batch);
        batch.clear();
      }
    }
    io.send(batch);
  });
  std::int64_t count = 0, last = -1;
  bool ordered = true;
  std::int64_t events_before_reply = -1;
  h.client->subscribe("BALLOON_CHANGE", {}, [&](const Event& e) {
    std::int64_t actual = *e.data.get_int64("actual");
    ordered = ordered && actual == last + 1;
    last = actual;
    ++count;
  });
  std::optional<Result<JsonValue>> reply;
  REQUIRE(h.client->execute("balloon", R"({"value": 1})", 10s, [&](Result<JsonValue> r) {
    events_before_reply = count;
    reply = std::move(r);
  }));
  auto start = std::chrono::steady_clock::now();
  REQUIRE(h.pump([&] { return count == kEvents; }, 60s));
  h.peer.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(ordered);
  CHECK(events_before_reply == kEvents / 2 + 1);
  REQUIRE(reply);
  CHECK(*reply);
  CHECK(took < 30s);
}

TEST_CASE("a peer that never answers: the command times out and its late reply is dropped", "[qmp]") {
  Harness h;
  std::atomic<bool> release{false};
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto slow = io.read_command();
    while (!release) std::this_thread::sleep_for(1ms);
    if (slow) io.reply(*slow, "\"late\"");
    if (auto next = io.read_command()) io.reply(*next, "\"fresh\"");
  });
  auto slow = h.send("query-status", {}, 200ms);
  auto start = std::chrono::steady_clock::now();
  REQUIRE(h.pump([&] { return has(slow); }, 5s));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 150ms);
  CHECK(waited < 1500ms);
  REQUIRE_FALSE(**slow);
  CHECK((**slow).error().errno_value == ETIMEDOUT);
  CHECK((**slow).error().message == "QMP command 'query-status' timed out after 200 ms");
  release = true;
  auto next = h.send("query-status");
  REQUIRE(h.pump([&] { return has(next); }));
  h.peer.join();
  REQUIRE(**next);
  CHECK((**next)->as_string() == std::string_view("fresh"));
}

TEST_CASE("a silent peer fails the handshake within its timeout", "[qmp]") {
  ClientOptions options;
  options.handshake_timeout = 300ms;
  Harness h(options);
  h.peer.run([&](PeerIo& io) { io.wait_closed(); });
  auto slot = h.send("query-status");
  REQUIRE(h.pump([&] { return h.disconnects == 1; }, 3s));
  h.peer.join();
  CHECK(h.reason->errno_value == ETIMEDOUT);
  CHECK(h.reason->message == "QMP handshake did not complete within 300 ms: no greeting from QEMU (is another client "
                             "connected to this monitor?)");
  REQUIRE(has(slot));
  CHECK((**slot).error().errno_value == ETIMEDOUT);
}

// An owner may attach and then do other work before it runs the loop (the step-runner tests
// wait for the guest to boot): a greeting that came in time is read, not timed out.
TEST_CASE("a greeting that came before the handshake deadline is read though the loop ran late", "[qmp]") {
  ClientOptions options;
  options.handshake_timeout = 200ms;
  Harness h(options);
  auto attached = std::chrono::steady_clock::now();
  std::atomic<bool> greeted{false};
  h.peer.run([&](PeerIo& io) {
    io.greet();
    greeted = true;
    if (auto caps = io.read_command()) io.reply(*caps);
    io.wait_closed();
  });
  // The greeting is waiting, and the handshake deadline has passed, when the loop first runs.
  while (!greeted) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_until(attached + 400ms);
  REQUIRE(h.pump([&] { return h.ready || h.disconnects > 0; }, 3s));
  CHECK(h.ready);
  CHECK(h.disconnects == 0);
  h.client.reset();
  h.peer.join();
}

// A command's time starts when it is issued, not at the loop's last iteration.
TEST_CASE("a command issued long after the loop last ran gets its whole timeout", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto c = io.read_command();
    usleep(100000);
    if (c) io.reply(*c);
    io.wait_closed();
  });
  REQUIRE(h.pump([&] { return h.ready; }));
  usleep(1200000);
  auto slot = h.send("query-status", {}, 1s);
  REQUIRE(h.pump([&] { return has(slot); }, 3s));
  CHECK(**slot);
  h.client.reset();
  h.peer.join();
}

// QEMU preallocating RAM greets late: a command held for the handshake is not timed out by
// the wait for the greeting (under `vmforge run`, `cont` is one).
TEST_CASE("a held command's timeout starts when the negotiation ends", "[qmp]") {
  ClientOptions options;
  options.handshake_timeout = 0ms;
  Harness h(options);
  h.peer.run([&](PeerIo& io) {
    usleep(600000);
    io.handshake();
    auto cont = io.read_command();
    if (cont) io.reply(*cont);
    io.wait_closed();
  });
  auto slot = h.send("cont", {}, 300ms);
  REQUIRE(h.pump([&] { return has(slot); }, 5s));
  CHECK(**slot);
  h.client.reset();
  h.peer.join();
}

// Without a handshake deadline (the supervisor watches a slow QEMU's greeting itself), a peer
// that greeted and then went silent still fails within the capabilities timeout.
TEST_CASE("a peer that greets and then goes silent fails the negotiation within its timeout", "[qmp]") {
  ClientOptions options;
  options.handshake_timeout = 0ms;
  options.capabilities_timeout = 300ms;
  Harness h(options);
  h.peer.run([&](PeerIo& io) {
    io.greet();
    io.wait_closed();
  });
  REQUIRE(h.pump([&] { return h.disconnects == 1; }, 3s));
  h.peer.join();
  CHECK_FALSE(h.ready);
  CHECK(h.reason->errno_value == ETIMEDOUT);
  CHECK(h.reason->message ==
        "QMP capabilities negotiation failed: QMP command 'qmp_capabilities' timed out after 300 ms");
}

TEST_CASE("a peer that talks before greeting, or greets twice, is cut off", "[qmp]") {
  SECTION("event first") {
    Harness h;
    h.peer.run([&](PeerIo& io) {
      io.event("RESUME");
      io.wait_closed();
    });
    REQUIRE(h.pump([&] { return h.disconnects == 1; }));
    CHECK(h.reason->message.find("QMP peer did not start with a greeting: '{\"timestamp\"") == 0);
  }
  SECTION("two greetings") {
    Harness h;
    h.peer.run([&](PeerIo& io) {
      io.handshake();
      io.greet();
      io.wait_closed();
    });
    REQUIRE(h.pump([&] { return h.disconnects == 1; }));
    CHECK(h.reason->message == "QMP peer sent a second greeting");
  }
  SECTION("capabilities refused") {
    Harness h;
    h.peer.run([&](PeerIo& io) {
      io.greet();
      if (auto c = io.read_command())
        io.reply_error(*c, "CommandNotFound", "Capabilities negotiation is already complete");
      io.wait_closed();
    });
    auto held = h.send("cont");
    REQUIRE(h.pump([&] { return h.disconnects == 1; }));
    std::string why =
        "QMP capabilities negotiation failed: QMP command 'qmp_capabilities' failed: Capabilities negotiation is "
        "already complete (CommandNotFound)";
    CHECK(h.reason->message == why);
    CHECK_FALSE(h.ready);
    REQUIRE(has(held));
    REQUIRE_FALSE(**held);
    CHECK((*held)->error().message == "QMP command 'cont' failed: " + why);
  }
}

TEST_CASE("cancel: an unsent command is never sent, a sent one's reply is dropped", "[qmp]") {
  Harness h;
  std::vector<std::string> seen;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    while (auto c = io.read_command(1s)) {
      seen.push_back(c->execute);
      io.reply(*c, "\"" + c->execute + "\"");
    }
  });
  auto never = h.client->execute("stop", {}, 5s, [](Result<JsonValue>) { FAIL("cancelled handler ran"); });
  REQUIRE(never);
  CHECK(h.client->cancel(*never));
  CHECK_FALSE(h.client->cancel(*never));
  REQUIRE(h.pump([&] { return h.ready; }));
  auto sent = h.client->execute("cont", {}, 5s, [](Result<JsonValue>) { FAIL("cancelled handler ran"); });
  REQUIRE(sent);
  CHECK(h.client->cancel(*sent));
  auto after = h.send("query-status");
  REQUIRE(h.pump([&] { return has(after); }));
  REQUIRE(**after);
  CHECK((**after)->as_string() == std::string_view("query-status"));
  h.client->close();
  h.peer.join();
  CHECK(seen == std::vector<std::string>{"cont", "query-status"});
  CHECK(h.reason->errno_value == ECANCELED);
}

TEST_CASE("fds travel with their command, once the previous fds were taken", "[qmp]") {
  Harness h;
  std::optional<ReceivedCommand> first, status, second, early;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    first = io.read_command();
    // Commands without fds follow at once: QEMU hands fds only to getfd/add-fd.
    status = io.read_command(1s);
    // The second getfd must not arrive while the first is unanswered (QEMU would drop the
    // first one's fds, or hand them to the second, had it not run yet)...
    early = io.read_command(300ms);
    if (first) io.reply(*first);
    // ... and then comes while 'query-status' is still unanswered.
    second = io.read_command();
    if (status) io.reply(*status);
    if (second) io.reply(*second);
  });
  auto temp_file = [] {
    char path[] = "/tmp/vmforge-qmp-fd-XXXXXX";
    UniqueFd file(mkstemp(path));
    unlink(path);
    return file;
  };
  UniqueFd file_a = temp_file(), file_b = temp_file();
  REQUIRE(file_a);
  REQUIRE(file_b);
  auto getfd = [&](std::string_view args, const UniqueFd& file) {
    auto slot = std::make_shared<std::optional<Result<JsonValue>>>();
    int fds[] = {file.get()};
    REQUIRE(h.client->execute(
        "getfd", args, 5s, [slot](Result<JsonValue> r) { *slot = std::move(r); }, fds));
    return slot;
  };
  // After the handshake: held until then, the getfd would follow qmp_capabilities in the same
  // read, and the fake peer gives a read's fds to the first command parsed from it.
  REQUIRE(h.pump([&] { return h.ready; }));
  auto a = getfd(R"({"fdname": "a"})", file_a);
  auto query = h.send("query-status");
  auto b = getfd(R"({"fdname": "b"})", file_b);
  REQUIRE(h.pump([&] { return has(a) && has(query) && has(b); }));
  h.peer.join();
  CHECK_FALSE(early);
  REQUIRE(first);
  REQUIRE(status);
  REQUIRE(second);
  CHECK(status->execute == "query-status");
  CHECK(status->fds.empty());
  auto same_file = [](const ReceivedCommand& c, const UniqueFd& file) {
    struct stat x {
    }, y{};
    return c.fds.size() == 1 && fstat(file.get(), &x) == 0 && fstat(c.fds[0].get(), &y) == 0 &&
           x.st_ino == y.st_ino && x.st_dev == y.st_dev;
  };
  CHECK(same_file(*first, file_a));
  CHECK(same_file(*second, file_b));
}

TEST_CASE("bad calls are refused before anything is sent", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) { io.handshake(); });
  REQUIRE(h.pump([&] { return h.ready; }));
  auto not_object = h.client->execute("device_add", "[1]", 1s, [](Result<JsonValue>) {});
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().errno_value == EINVAL);
  CHECK(not_object.error().message == "Arguments of QMP command 'device_add' are not a JSON object: '[1]'");
  CHECK_FALSE(h.client->execute("device_add", "{\"id\":", 1s, [](Result<JsonValue>) {}));
  CHECK_FALSE(h.client->execute("", {}, 1s, [](Result<JsonValue>) {}));
  CHECK(h.client->pending() == 0);
  // QEMU answers what it cannot parse with an error per stray token: only what it parses is sent.
  auto nested = [](std::size_t depth) {
    return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  auto too_deep = h.client->execute("x", nested(1001), 1s, [](Result<JsonValue>) {});
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().message ==
        "Arguments of QMP command 'x' exceed what QEMU parses (1048576 bytes, nesting 1000)");
  CHECK_FALSE(h.client->execute("x", "{\"a\":\"" + std::string(1u << 20, 'a') + "\"}", 1s, [](Result<JsonValue>) {}));
  CHECK(h.client->execute("x", nested(1000), 1s, [](Result<JsonValue>) {}));
  CHECK(h.client->execute("x", "{\"a\":\"\\\"" + std::string(1001, '[') + "\"}", 1s, [](Result<JsonValue>) {}));
  h.client->close();
  h.peer.join();
}

TEST_CASE("a handler may destroy the client", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto a = io.read_command();
    auto b = io.read_command();
    if (a) io.reply(*a);
    if (b) io.reply(*b);
    io.event("STOP");
    io.wait_closed();
  });
  bool first = false;
  auto a = h.client->execute("a", {}, 5s, [&](Result<JsonValue>) {
    first = true;
    h.client.reset();
  });
  REQUIRE(a);
  REQUIRE(h.client->execute("b", {}, 5s, [](Result<JsonValue>) { FAIL("destroyed client ran a handler"); }));
  REQUIRE(h.pump([&] { return first; }));
  for (int i = 0; i < 5; ++i) REQUIRE(h.loop.run_once(10ms));
  h.peer.join();
  CHECK(h.client == nullptr);
  CHECK(h.disconnects == 0);
}

TEST_CASE("execute_until completes on the matching event, before or after the reply", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto a = io.read_command();
    auto b = io.read_command();
    if (!a || !b) return;
    // For 'vd1' the event comes after the reply; the path-only backend event must not count.
    io.reply(*a);
    io.event("DEVICE_DELETED", R"({"path": "/machine/peripheral/vd1/virtio-backend"})");
    io.event("DEVICE_DELETED", R"({"device": "vd2", "path": "/machine/peripheral/vd2"})");
    io.reply(*b);
    io.event("DEVICE_DELETED", R"({"device": "vd1", "path": "/machine/peripheral/vd1"})");
  });
  std::vector<std::string> order;
  auto track = [&](std::string name) {
    return [&order, name](Result<JsonValue> r) {
      REQUIRE(r);
      order.push_back(name + ":" + std::string(*r->get_string("path")));
    };
  };
  REQUIRE(h.client->execute_until("device_del", R"({"id": "vd1"})", {"DEVICE_DELETED", data_equals("device", "vd1")},
                                  5s, track("vd1")));
  REQUIRE(h.client->execute_until("device_del", R"({"id": "vd2"})", {"DEVICE_DELETED", data_equals("device", "vd2")},
                                  5s, track("vd2")));
  REQUIRE(h.pump([&] { return order.size() == 2; }));
  h.peer.join();
  CHECK(order == std::vector<std::string>{"vd2:/machine/peripheral/vd2", "vd1:/machine/peripheral/vd1"});
  CHECK(h.client->pending() == 0);
}

TEST_CASE("execute_until: an error reply fails at once, a missing event times out clearly", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    if (auto a = io.read_command()) io.reply_error(*a, "GenericError", "Device 'nope' not found");
    if (auto b = io.read_command()) io.reply(*b);
    io.wait_closed();
  });
  auto missing = std::make_shared<std::optional<Result<JsonValue>>>();
  auto pending = std::make_shared<std::optional<Result<JsonValue>>>();
  REQUIRE(h.client->execute_until("device_del", R"({"id": "nope"})", {"DEVICE_DELETED", data_equals("device", "nope")},
                                  5s, [missing](Result<JsonValue> r) { *missing = std::move(r); }));
  REQUIRE(h.client->execute_until("device_del", R"({"id": "vd1"})", {"DEVICE_DELETED", data_equals("device", "vd1")},
                                  300ms, [pending](Result<JsonValue> r) { *pending = std::move(r); }));
  REQUIRE(h.pump([&] { return has(missing) && has(pending); }));
  CHECK((**missing).error().message == "QMP command 'device_del' failed: Device 'nope' not found (GenericError)");
  CHECK((**pending).error().errno_value == ETIMEDOUT);
  CHECK((**pending).error().message ==
        "QMP command 'device_del' succeeded, but no 'DEVICE_DELETED' event came within 300 ms");
  h.client->close();
  h.peer.join();
}

TEST_CASE("execute_until of several jobs ends when every job has, and fails if one did", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto ok = io.read_command();
    if (!ok) return;
    io.reply(*ok);
    io.event("BLOCK_JOB_COMPLETED", R"({"device": "j1"})");
    io.event("BLOCK_JOB_COMPLETED", R"({"device": "other"})");
    io.event("BLOCK_JOB_COMPLETED", R"({"device": "j2"})");
    auto bad = io.read_command();
    if (!bad) return;
    io.reply(*bad);
    io.event("BLOCK_JOB_CANCELLED", R"({"device": "j1"})");
    io.event("BLOCK_JOB_COMPLETED", R"({"device": "j2"})");
  });
  auto jobs = [](std::vector<std::string> ids) {
    EventMatch until{"BLOCK_JOB_COMPLETED", [ids](const Event& e) {
                       return std::find(ids.begin(), ids.end(), e.data.get_string("device").value_or("")) != ids.end();
                     }};
    until.failure = [](const Event& e) -> std::optional<std::string> {
      if (e.name == "BLOCK_JOB_CANCELLED") return std::string("cancelled");
      return std::nullopt;
    };
    until.count = ids.size();
    return until;
  };
  auto both = std::make_shared<std::optional<Result<JsonValue>>>();
  REQUIRE(h.client->execute_until("transaction", "{}", jobs({"j1", "j2"}), 5s,
                                  [both](Result<JsonValue> r) { *both = std::move(r); }));
  REQUIRE(h.pump([&] { return has(both); }));
  REQUIRE(**both);
  CHECK((**both)->get_string("device") == "j2");
  // j1 cancelled: the call fails, but only once j2 has ended too.
  auto one_cancelled = std::make_shared<std::optional<Result<JsonValue>>>();
  REQUIRE(h.client->execute_until("transaction", "{}", jobs({"j1", "j2"}), 5s,
                                  [one_cancelled](Result<JsonValue> r) { *one_cancelled = std::move(r); }));
  REQUIRE(h.pump([&] { return has(one_cancelled); }));
  CHECK((**one_cancelled).error().message == "QMP command 'transaction' failed: cancelled");
  h.peer.join();
  CHECK(h.client->pending() == 0);
}

TEST_CASE("execute_until fails at once on its failure event, and the late reply is dropped", "[qmp]") {
  Harness h;
  h.peer.run([&](PeerIo& io) {
    io.handshake();
    auto c = io.read_command();
    if (!c) return;
    io.event("ACPI_DEVICE_OST", R"({"info": {"device": "dimm1", "source": 3, "status": 130}})");
    io.reply(*c);
    if (auto next = io.read_command()) io.reply(*next, "2");
  });
  EventMatch until{"DEVICE_DELETED", data_equals("device", "dimm1")};
  until.failure = [](const Event& e) -> std::optional<std::string> {
    if (e.name == "ACPI_DEVICE_OST") return std::string("the guest refused");
    return std::nullopt;
  };
  auto failed = std::make_shared<std::optional<Result<JsonValue>>>();
  REQUIRE(h.client->execute_until("device_del", R"({"id": "dimm1"})", until, 5s,
                                  [failed](Result<JsonValue> r) { *failed = std::move(r); }));
  REQUIRE(h.pump([&] { return has(failed); }));
  CHECK((**failed).error().errno_value == EIO);
  CHECK((**failed).error().message == "QMP command 'device_del' failed: the guest refused");
  auto next = h.send("query-status");
  REQUIRE(h.pump([&] { return has(next); }));
  h.peer.join();
  CHECK((**next)->as_int64() == 2);
}
