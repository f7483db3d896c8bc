// quote_text(): user strings in diagnostics stay on one readable line.
#include <string>

#include <catch2/catch.hpp>

#include "compiler/base/diag_quote.hpp"

using vmforge::quote_text;

TEST_CASE("quote_text wraps in single quotes and escapes control characters", "[compiler]") {
  CHECK(quote_text("root") == "'root'");
  CHECK(quote_text("") == "''");
  CHECK(quote_text("a\nb\tc\rd") == "'a\\nb\\tc\\rd'");
  CHECK(quote_text(std::string("a\0b", 3)) == "'a\\x00b'");
  CHECK(quote_text("\x7f") == "'\\x7f'");
  CHECK(quote_text("d\xc3\xa9j\xc3\xa0") == "'d\xc3\xa9j\xc3\xa0'");  // UTF-8 passes through
}

TEST_CASE("quote_text shortens long text", "[compiler]") {
  std::string quoted = quote_text(std::string(200, 'x'));
  CHECK(quoted == "'" + std::string(80, 'x') + "...'");
}
