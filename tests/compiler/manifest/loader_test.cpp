// The toml++ boundary: values, positions, file order, and syntax errors as diagnostics.
#include <catch2/catch.hpp>

#include "compiler/manifest/loader.hpp"

using namespace vmforge;

TEST_CASE("the loader keeps values, positions and file order", "[compiler]") {
  auto raw = load_manifest("name = \"web\"\nzeta = 1\n[machine]\naccel = [\"tcg\", \"kvm\"]\nflag = true\n"
                           "when = 1979-05-27\nratio = 0.5\n",
                           "vm.toml");
  REQUIRE(raw.has_value());
  REQUIRE(raw->entries.size() == 3);
  CHECK(raw->entries[0].key == "name");  // toml++ iterates key-sorted; file order is restored
  CHECK(raw->entries[1].key == "zeta");
  CHECK(raw->entries[2].key == "machine");
  const RawValue& name = raw->entries[0].value;
  CHECK(name.kind == RawValue::Kind::string);
  CHECK(name.text == "web");
  CHECK(name.loc == SourceLoc{"vm.toml", 1, 8});
  CHECK(raw->entries[0].key_loc == SourceLoc{"vm.toml", 1, 1});
  const RawValue& machine = raw->entries[2].value;
  CHECK(machine.kind == RawValue::Kind::table);
  const RawEntry* accel = machine.find("accel");
  REQUIRE(accel != nullptr);
  REQUIRE(accel->value.items.size() == 2);
  CHECK(accel->value.items[1].text == "kvm");
  CHECK(machine.find("flag")->value.boolean);
  CHECK(machine.find("when")->value.kind == RawValue::Kind::datetime);
  CHECK(machine.find("when")->value.text == "1979-05-27");
  CHECK(machine.find("ratio")->value.kind == RawValue::Kind::floating);
  CHECK(machine.find("missing") == nullptr);
}

TEST_CASE("a syntax error becomes one positioned diagnostic", "[compiler]") {
  auto raw = load_manifest("name = \"web\"\n[machine\n", "bad.toml");
  REQUIRE_FALSE(raw.has_value());
  REQUIRE(raw.error().size() == 1);
  const Diagnostic& d = raw.error().items()[0];
  CHECK(d.loc.path == "bad.toml");
  CHECK(d.loc.line == 2);
  CHECK(d.severity == Severity::error);
  CHECK_FALSE(d.message.empty());
}

TEST_CASE("hostile bytes do not escape the loader", "[compiler]") {
  CHECK_FALSE(load_manifest(std::string_view("a = \"\0\"", 7), "x.toml").has_value());
  CHECK_FALSE(load_manifest("\xff\xfe = 1", "x.toml").has_value());
  CHECK_FALSE(load_manifest(std::string(300, '['), "x.toml").has_value());
}

TEST_CASE("nesting deeper than the limit is refused before toml++ recurses through it", "[compiler]") {
  // 150,000 header parts crashed toml++ itself (its parser and destructors recurse per level).
  std::string parts = "a";
  for (int i = 1; i < 150000; ++i) parts += ".a";
  for (const std::string& text :
       {"[" + parts + "]\n", parts + " = 1\n", "x = " + std::string(300, '[') + "\n", "x = {" + parts + " = 1}\n"}) {
    auto raw = load_manifest(text, "deep.toml");
    REQUIRE_FALSE(raw.has_value());
    CHECK(raw.error().items()[0].message.find("more than 64 levels deep") != std::string::npos);
  }
  auto header = load_manifest("[" + parts + "]\n", "deep.toml");
  CHECK(header.error().items()[0].loc == SourceLoc{"deep.toml", 1, 130});
}

TEST_CASE("the depth bound counts keys, not dots inside strings, comments or values", "[compiler]") {
  std::string dots(5000, '.');
  std::string text = "name = \"" + dots + "\"\n# [" + dots + "]\nlit = '" + dots + "'\nml = \"\"\"\n[a" + dots +
                     "b]\n\"\"\"\"\nfloats = [1.5, 2.5, 3.5]\nwhen = 1979-05-27T07:32:00.999\n";
  std::string key = "k0";
  for (int i = 1; i < 62; ++i) key += ".k" + std::to_string(i);
  text += "[" + key + "]\nv = 1\n";  // 62 header parts + a key: 63 levels, under the limit
  auto raw = load_manifest(text, "ok.toml");
  if (!raw) FAIL(raw.error().render(text));
  CHECK(raw->find("ml")->value.text == "[a" + dots + "b]\n\"");
}
