// Diagnostics: sorting by position and GCC-style rendering with a caret.
#include <catch2/catch.hpp>

#include "compiler/base/diagnostic.hpp"

using vmforge::Diagnostics;

TEST_CASE("Diagnostics render with source line and caret, sorted", "[compiler]") {
  Diagnostics d;
  d.error({"vm.toml", 3, 8}, "unknown key 'sise', did you mean 'size'?");
  d.error({"vm.toml", 1, 1}, "first");
  d.note({"vm.toml", 1, 1}, "belongs to first");
  d.sort();
  std::string source = "name = \"x\"\n[memory]\nsise = \"1G\"\n";
  CHECK(d.render(source) ==
        "vm.toml:1:1: error: first\n"
        "    name = \"x\"\n"
        "    ^\n"
        "vm.toml:1:1: note: belongs to first\n"
        "    name = \"x\"\n"
        "    ^\n"
        "vm.toml:3:8: error: unknown key 'sise', did you mean 'size'?\n"
        "    sise = \"1G\"\n"
        "           ^\n");
  CHECK(d.has_errors());
}

TEST_CASE("A whole-file diagnostic has no position", "[compiler]") {
  Diagnostics d;
  d.error({"vm.toml", 0, 0}, "cannot read file: No such file or directory");
  CHECK(d.render("") == "vm.toml: error: cannot read file: No such file or directory\n");
}
