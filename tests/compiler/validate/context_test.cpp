// Fields reads ranges and defaults from the key table, and reports a validator that asks for a
// key, range or default the key table does not have (a misspelled key must not read as absent).
#include <catch2/catch.hpp>

#include "compiler/manifest/loader.hpp"
#include "compiler/validate/context.hpp"

using namespace vmforge;

namespace {

struct Table {
  explicit Table(std::string_view text) : root(load_manifest(text, "t.toml").value()), ctx(diags, "/srv") {}

  Fields single(std::string_view key) { return single_table(root, key, ctx); }
  std::string rendered() const { return diags.render(""); }

  RawValue root;
  Diagnostics diags;
  ValidateContext ctx;
};

}  // namespace

TEST_CASE("numbers are checked against the key table's range", "[compiler]") {
  Table t("[cpu]\ncount = 2000\ndies = 2\n");
  Fields f = t.single("cpu");
  CHECK_FALSE(f.number("count").has_value());
  CHECK(t.rendered().find("'count' must be between 1 and 1024, not 2000") != std::string::npos);
  CHECK(f.number("dies") == std::optional<std::uint64_t>(2));
  CHECK(f.range("count") == KeyRange{1, 1024});
}

TEST_CASE("absent keys read as the key table's default", "[compiler]") {
  Table t("[cpu]\n[knobs]\n[[disk]]\nid = \"d\"\n");
  CHECK(t.single("cpu").number_or_default("threads") == 1);
  CHECK(t.single("knobs").flag_or_default("no_defaults"));
  CHECK_FALSE(t.single("knobs").flag_or_default("mlock"));
  for_each_table(t.root, "disk", t.ctx, [](Fields& f) {
    CHECK(f.choice_or_default<DiskFormat>("format") == DiskFormat::raw);
    CHECK(f.choice_or_default<DiskCache>("cache") == DiskCache::writeback);
  });
  CHECK(t.diags.empty());
}

TEST_CASE("a key the key table does not list is a reported bug, not an absent key", "[compiler]") {
  Table t("[cpu]\ncount = 2\n");
  Fields f = t.single("cpu");
  CHECK_FALSE(f.has("cuont"));
  CHECK(t.rendered().find("vmforge bug: a validator and compiler/manifest/keys.cpp disagree: [cpu] has no key "
                          "'cuont' in the key table") != std::string::npos);
}

TEST_CASE("a table the key table does not list is a reported bug", "[compiler]") {
  Table t("name = \"a\"\n");
  Fields f = t.single("cpus");
  CHECK_FALSE(f.has("count"));
  CHECK(t.rendered().find("the key table has no table 'cpus'") != std::string::npos);
}

TEST_CASE("a range or default the key table does not give is a reported bug", "[compiler]") {
  Table t("[cpu]\nmodel = \"host\"\n");
  Fields f = t.single("cpu");
  f.range("model");
  CHECK(t.rendered().find("[cpu] 'model' has no range in the key table") != std::string::npos);
  f.number_or_default("max");
  CHECK(t.rendered().find("[cpu] 'max' has no default of the type read") != std::string::npos);
  f.flag_or_default("count");
  CHECK(t.rendered().find("[cpu] 'count' has no default of the type read") != std::string::npos);
}
