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
  CHECK(d.render(source) == "vm.toml:1:1: error: first\n"
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

TEST_CASE("A long source line is quoted cut around the column", "[compiler]") {
  Diagnostics d;
  const std::string line = "x = \"" + std::string(1000, 'a') + "b" + std::string(1000, 'c') + "\"";
  d.error({"vm.toml", 1, 1006}, "here");
  const std::string rendered = d.render(line + "\n");
  const std::string window = std::string(60, 'a') + "b" + std::string(59, 'c');
  CHECK(rendered == "vm.toml:1:1006: error: here\n    ..." + window + "...\n    " + std::string(63, ' ') + "^\n");

  Diagnostics start;
  start.error({"vm.toml", 1, 2}, "near the start");
  CHECK(start.render(line).find("    x = \"" + std::string(115, 'a') + "...\n     ^\n") != std::string::npos);
}

TEST_CASE("Rendering stops after 50 problems with a count", "[compiler]") {
  Diagnostics d;
  std::string source;
  for (int i = 1; i <= 40000; ++i) {
    source.append("k").append(std::to_string(i)).append(" = 1\n");
    d.error({"vm.toml", static_cast<std::uint32_t>(i), 1}, "unknown key");
    d.note({"vm.toml", static_cast<std::uint32_t>(i), 1}, "a note");
  }
  const std::string rendered = d.render(source);
  CHECK(rendered.find("vm.toml:50:1: note: a note\n") != std::string::npos);
  CHECK(rendered.find("vm.toml:51:1") == std::string::npos);
  CHECK(rendered.size() < 10000);
  CHECK(rendered.ends_with("vm.toml:50:1: note: a note\n    k50 = 1\n    ^\n"
                           "... and 39950 more problems (only the first 50 are shown)\n"));
}
