// Tests for the control socket's request parsing and reply rendering.
#include "supervisor/core/control_protocol.hpp"

#include <catch2/catch.hpp>

#include "supervisor/core/control_client.hpp"

using namespace vmforge::supervisor;

TEST_CASE("requests are JSON objects naming a request", "[control]") {
  auto r = parse_control_request(R"({"request":"qmp","id":{"n":7},"command":{"execute":"query-status"}})");
  REQUIRE(r);
  CHECK(r->name == "qmp");
  CHECK(r->id->to_json() == R"({"n":7})");
  CHECK(r->body.find_path({"command", "execute"})->as_string() == "query-status");
}

TEST_CASE("malformed requests are explained", "[control]") {
  CHECK(parse_control_request("{").error().message.find("Request is not valid JSON: ") == 0);
  CHECK(parse_control_request("[1]").error().message == "Request must be a JSON object.");
  CHECK(parse_control_request(R"({"id":1})").error().message == "Request lacks the member 'request'.");
  CHECK(parse_control_request(R"({"request":5})").error().message == "Member 'request' must be a string.");
}

TEST_CASE("replies echo the id and read back", "[control]") {
  std::optional<vmforge::JsonValue> id(vmforge::JsonValue(std::int64_t{3}));
  std::string ok = control_return(id, R"({"state":"running"})");
  CHECK(ok == R"({"return":{"state":"running"},"id":3})");
  CHECK(reply_value(ok)->get_string("state") == "running");
  std::string err = control_error(std::nullopt, kUnknownRequest, "Unknown request 'x'.");
  CHECK(err == R"({"error":{"class":"UnknownRequest","desc":"Unknown request 'x'."}})");
  auto value = reply_value(err);
  REQUIRE_FALSE(value);
  CHECK(value.error().message == "Unknown request 'x'.");
  CHECK(reply_value("garbage").error().errno_value == EBADMSG);
}
