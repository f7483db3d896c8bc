// qemu_escape: commas doubled, NUL and newline refused, everything else verbatim.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/lower/qemu_escape.hpp"

using vmforge::qemu_escape;

TEST_CASE("qemu_escape doubles commas only", "[compiler]") {
  CHECK(*qemu_escape("a,b") == "a,,b");
  CHECK(*qemu_escape(",,") == ",,,,");
  CHECK(*qemu_escape("k=v \"q\" 'x'") == "k=v \"q\" 'x'");
}

TEST_CASE("qemu_escape refuses NUL and newline", "[compiler]") {
  CHECK_FALSE(qemu_escape("a\nb").has_value());
  CHECK_FALSE(qemu_escape(std::string("a\0b", 3)).has_value());
  CHECK(qemu_escape("a\nb").error().message.find("newline") != std::string::npos);
}
