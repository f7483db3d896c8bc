// parse_message: the four QMP message kinds from real QEMU 7.2 lines, and the malformed ones.
#include <catch2/catch.hpp>

#include <string>

#include "supervisor/qmp/message.hpp"

using namespace vmforge::qmp;

TEST_CASE("a real QEMU 7.2 greeting", "[qmp]") {
  auto m = parse_message(
      R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}})");
  REQUIRE(m);
  auto* g = std::get_if<Greeting>(&*m);
  REQUIRE(g != nullptr);
  CHECK(g->major == 7);
  CHECK(g->minor == 2);
  CHECK(g->micro == 22);
  CHECK(g->package == "Debian 1:7.2+dfsg-7+deb12u18+b3");
  CHECK(g->has_capability("oob"));
  CHECK_FALSE(g->has_capability("xyz"));
}

TEST_CASE("replies keep their id verbatim and their value", "[qmp]") {
  auto m = parse_message(R"({"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": 42})");
  REQUIRE(m);
  auto* r = std::get_if<Reply>(&*m);
  REQUIRE(r != nullptr);
  REQUIRE(r->id);
  CHECK(r->id->as_uint64() == 42u);
  CHECK(r->value.get_string("status") == std::string_view("prelaunch"));

  auto noid = parse_message(R"({"return": {}})");
  REQUIRE(noid);
  CHECK_FALSE(std::get<Reply>(*noid).id);

  auto structured = parse_message(R"({"return": [], "id": {"seq": 7, "tag": ["x"]}})");
  REQUIRE(structured);
  CHECK(std::get<Reply>(*structured).id->to_json() == R"({"seq":7,"tag":["x"]})");
}

TEST_CASE("error replies carry class and desc, with or without id", "[qmp]") {
  auto m =
      parse_message(R"({"id": 9, "error": {"class": "GenericError", "desc": "QMP input lacks member 'execute'"}})");
  REQUIRE(m);
  auto& e = std::get<ErrorReply>(*m);
  CHECK(e.id->as_int64() == 9);
  CHECK(e.error_class == "GenericError");
  CHECK(e.desc == "QMP input lacks member 'execute'");
  auto noid = parse_message(R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '-s'"}})");
  REQUIRE(noid);
  CHECK_FALSE(std::get<ErrorReply>(*noid).id);
}

TEST_CASE("events with and without data", "[qmp]") {
  auto m = parse_message(
      R"({"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "DEVICE_DELETED", "data": {"device": "vd1", "path": "/machine/peripheral/vd1"}})");
  REQUIRE(m);
  auto& e = std::get<Event>(*m);
  CHECK(e.name == "DEVICE_DELETED");
  CHECK(e.data.get_string("device") == std::string_view("vd1"));
  CHECK(e.seconds == 1700000000);
  CHECK(e.microseconds == 123456);
  auto resume = parse_message(R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"})");
  REQUIRE(resume);
  CHECK(std::get<Event>(*resume).data.is_null());
}

TEST_CASE("malformed messages are refused with the reason", "[qmp]") {
  struct Case {
    const char* line;
    const char* reason;
  };
  const Case cases[] = {
      {"[1,2,3]", "not a JSON object"},
      {R"({"hello": 1})", "none of 'QMP', 'return', 'error' or 'event'"},
      {R"({"return": {}, "event": "X"})", "more than one of 'QMP', 'return', 'error' and 'event'"},
      {R"({"error": "boom"})", "'error' is not an object"},
      {R"({"error": {"desc": "x"}})", "'error' lacks string 'class'"},
      {R"({"error": {"class": "GenericError"}})", "'error' lacks string 'desc'"},
      {R"({"event": 5})", "'event' is not a non-empty string"},
      {R"({"event": "X", "data": 1})", "event 'data' is not an object"},
      {R"({"event": "X", "timestamp": {"seconds": "1"}})",
       "event 'timestamp' lacks integer 'seconds' or 'microseconds'"},
      {R"({"QMP": {"capabilities": []}})", "greeting lacks 'version.qemu'"},
      {R"({"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}})",
       "greeting's 'version.qemu' lacks integer 'major', 'minor' or 'micro'"},
      {R"({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}}})",
       "greeting lacks 'capabilities' array"},
      {R"({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": [1]}})",
       "greeting's 'capabilities' holds a non-string"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    auto m = parse_message(c.line);
    REQUIRE_FALSE(m);
    CHECK(m.error().message == c.reason);
    CHECK(m.error().errno_value == EBADMSG);
  }
  auto garbage = parse_message("\x01\x02garbage");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message.rfind("Failed to parse JSON", 0) == 0);
  CHECK_FALSE(parse_message("{\"return\": \"\xc3\x28\"}"));
}

TEST_CASE("excerpt escapes bytes and cuts long text", "[qmp]") {
  CHECK(excerpt("ab\x01\xff") == "ab\\x01\\xff");
  CHECK(excerpt(std::string(100, 'a'), 10) == std::string(10, 'a') + "…");
}
