// LineBuffer: CRLF/LF lines, partial input, blank lines, the maximum, and memory given back.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include "supervisor/qmp/framing.hpp"

using vmforge::qmp::LineBuffer;

namespace {

void feed(LineBuffer& b, std::string_view bytes) {
  auto space = b.prepare(bytes.size());
  REQUIRE(space.size() >= bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  b.commit(bytes.size());
}

std::string next(LineBuffer& b) {
  auto line = b.next_line();
  REQUIRE(line);
  REQUIRE(line->has_value());
  return std::string(**line);
}

bool nothing(LineBuffer& b) {
  auto line = b.next_line();
  return line && !line->has_value();
}

}  // namespace

TEST_CASE("LineBuffer splits CRLF and LF lines and skips blank ones", "[qmp]") {
  LineBuffer b(1024);
  feed(b, "{\"a\":1}\r\n\r\n\n{\"b\":2}\n{\"c\"");
  CHECK(next(b) == "{\"a\":1}");
  CHECK(next(b) == "{\"b\":2}");
  CHECK(nothing(b));
  feed(b, ":3}\r");
  CHECK(nothing(b));
  feed(b, "\n");
  CHECK(next(b) == "{\"c\":3}");
  CHECK(nothing(b));
  CHECK(b.buffered() == 0);
}

TEST_CASE("LineBuffer reassembles a line fed one byte at a time", "[qmp]") {
  LineBuffer b(1024);
  std::string text = "{\"return\": {\"status\": \"running\"}, \"id\": 7}\r\n";
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    feed(b, text.substr(i, 1));
    CHECK(nothing(b));
  }
  feed(b, "\n");
  CHECK(next(b) == text.substr(0, text.size() - 2));
}

TEST_CASE("LineBuffer accepts a line of exactly the maximum and refuses one byte more", "[qmp]") {
  LineBuffer b(10);
  feed(b, "0123456789\r\n");
  CHECK(next(b) == "0123456789");
  feed(b, "0123456789A");
  auto line = b.next_line();
  REQUIRE_FALSE(line);
  CHECK(line.error().errno_value == EMSGSIZE);
  CHECK(line.error().message == "QMP message longer than the maximum of 10 bytes");
  CHECK_FALSE(b.next_line());
}

TEST_CASE("LineBuffer refuses an over-long line that arrives complete", "[qmp]") {
  LineBuffer b(4);
  feed(b, "12345\n");
  CHECK_FALSE(b.next_line());
}

TEST_CASE("LineBuffer takes a 20 MB line and shrinks afterwards", "[qmp]") {
  LineBuffer b(32u << 20);
  std::string big(20u << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 65536) {
    feed(b, std::string_view(big).substr(i, 65536));
    CHECK(nothing(b));
  }
  feed(b, "\r\n");
  CHECK(next(b).size() == big.size());
  CHECK(b.capacity() >= big.size());
  feed(b, "{}\n");
  CHECK(next(b) == "{}");
  CHECK(b.capacity() <= 64 * 1024);
}
