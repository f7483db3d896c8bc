// JsonValue and parse_json: types, lookups, round trips and rejected input.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/base/json_value.hpp"

using vmforge::JsonValue;
using vmforge::parse_json;

TEST_CASE("parse_json builds an owned tree with exact numbers", "[json]") {
  auto v = parse_json(
      R"({"a":1,"neg":-7,"big":18446744073709551615,"f":1.5,"s":"x\u00e9\n","t":true,"n":null,"l":[1,"2",[]]})");
  REQUIRE(v);
  CHECK(v->is_object());
  CHECK(v->get_int64("a") == 1);
  CHECK(v->get_uint64("a") == 1u);
  CHECK(v->get_int64("neg") == -7);
  CHECK_FALSE(v->get_uint64("neg"));
  CHECK(v->find("big")->kind() == JsonValue::Kind::uint64);
  CHECK(v->get_uint64("big") == 18446744073709551615u);
  CHECK_FALSE(v->get_int64("big"));
  CHECK(v->find("f")->as_double() == 1.5);
  CHECK_FALSE(v->find("f")->as_int64());
  CHECK(v->get_string("s") == std::string_view("x\xc3\xa9\n"));
  CHECK(v->get_bool("t") == true);
  CHECK(v->find("n")->is_null());
  REQUIRE(v->find("l")->as_array() != nullptr);
  CHECK(v->find("l")->as_array()->size() == 3);
  CHECK(v->find("missing") == nullptr);
  CHECK_FALSE(v->get_string("a"));
}

TEST_CASE("find_path follows nested objects", "[json]") {
  auto v = parse_json(R"({"event":"DEVICE_DELETED","data":{"device":"vd1","path":"/m/vd1"}})");
  REQUIRE(v);
  REQUIRE(v->find_path({"data", "device"}) != nullptr);
  CHECK(v->find_path({"data", "device"})->as_string() == std::string_view("vd1"));
  CHECK(v->find_path({"data", "nope"}) == nullptr);
  CHECK(v->find_path({"event", "x"}) == nullptr);
}

TEST_CASE("objects keep document order and to_json round-trips", "[json]") {
  std::string text = R"({"z":1,"a":[true,false,null],"m":{"k":"v\"q"},"d":-0.25,"u":18446744073709551615})";
  auto v = parse_json(text);
  REQUIRE(v);
  CHECK(v->to_json() == text);
  auto again = parse_json(v->to_json());
  REQUIRE(again);
  CHECK(*again == *v);
}

TEST_CASE("numbers compare by value across int64, uint64 and double", "[json]") {
  CHECK(JsonValue(std::int64_t{5}) == JsonValue(std::uint64_t{5}));
  CHECK_FALSE(JsonValue(std::int64_t{-1}) == JsonValue(std::uint64_t{18446744073709551615u}));
  CHECK(JsonValue(std::int64_t{1}) == JsonValue(1.0));
  CHECK_FALSE(JsonValue(std::int64_t{1}) == JsonValue(1.5));
  CHECK_FALSE(JsonValue(std::int64_t{1}) == JsonValue(std::string("1")));
  auto integral = parse_json("[5.0,-0.0]");
  REQUIRE(integral);
  auto again = parse_json(integral->to_json());
  REQUIRE(again);
  CHECK(*again == *integral);
}

TEST_CASE("parse_json rejects malformed input with a reason", "[json]") {
  for (std::string bad :
       {std::string("{"), std::string("{\"a\":}"), std::string(""), std::string("[1,2"), std::string("{\"a\":1}x"),
        std::string("\"a\xff\""), std::string("{'a':1}"), std::string("nul")}) {
    auto v = parse_json(bad);
    INFO(bad);
    REQUIRE_FALSE(v);
    CHECK(v.error().message.rfind("Failed to parse JSON: ", 0) == 0);
    CHECK(v.error().errno_value == EBADMSG);
  }
}

TEST_CASE("parse_json handles deep nesting up to its limit and refuses beyond", "[json]") {
  std::string ok = std::string(1000, '[') + std::string(1000, ']');
  CHECK(parse_json(ok));
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  CHECK_FALSE(parse_json(deep));
}

TEST_CASE("parse_json takes large documents and stays usable for small ones", "[json]") {
  std::string big = "[";
  for (int i = 0; i < 100000; ++i) big += "{\"k\":" + std::to_string(i) + "},";
  big += "0]";
  auto v = parse_json(big);
  REQUIRE(v);
  CHECK(v->as_array()->size() == 100001);
  CHECK((*v->as_array())[99999].get_int64("k") == 99999);
  auto small = parse_json(R"({"return":{}})");
  REQUIRE(small);
  CHECK(small->find("return")->as_object()->empty());
}
