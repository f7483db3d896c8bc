// JsonWriter: separators, nesting and string escaping.
#include <catch2/catch.hpp>

#include "compiler/base/json_writer.hpp"

using vmforge::json_quote;
using vmforge::JsonWriter;

TEST_CASE("JsonWriter places commas and colons", "[compiler]") {
  JsonWriter w;
  w.begin_object()
      .field("execute", "device_add")
      .key("arguments")
      .begin_object()
      .field("id", "vd0")
      .field("bootindex", 1)
      .field("share-rw", true)
      .end_object()
      .key("list")
      .begin_array()
      .value(1)
      .value("two")
      .null()
      .end_array()
      .end_object();
  CHECK(w.str() ==
        R"({"execute":"device_add","arguments":{"id":"vd0","bootindex":1,"share-rw":true},"list":[1,"two",null]})");
}

TEST_CASE("json_quote escapes quotes, backslashes and control characters", "[compiler]") {
  CHECK(json_quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_quote("x\ny\tz\x01") == R"("x\ny\tz\u0001")");
  CHECK(json_quote("k,v=1 'q'") == R"("k,v=1 'q'")");
}

TEST_CASE("JsonWriter raw inserts a serialised value", "[compiler]") {
  JsonWriter w;
  w.begin_array().raw(R"({"a":1})").raw("2").end_array();
  CHECK(w.str() == R"([{"a":1},2])");
}
