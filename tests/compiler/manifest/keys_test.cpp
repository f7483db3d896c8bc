// The key table: consistent with itself, and its "did you mean" suggestions.
#include <algorithm>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "compiler/manifest/keys.hpp"

using namespace vmforge;

TEST_CASE("edit distance counts inserts, deletes, substitutions and swaps", "[compiler]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("format", "format") == 0);
  CHECK(edit_distance("fromat", "format") == 1);
  CHECK(edit_distance("tgc", "tcg") == 1);
  CHECK(edit_distance("formt", "format") == 1);
  CHECK(edit_distance("formats", "format") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("abc", "ca") == 3);
}

TEST_CASE("suggestions name plausible typos only", "[compiler]") {
  const TableSpec* disk = find_table_spec("disk");
  REQUIRE(disk != nullptr);
  CHECK(suggest_key(*disk, "fromat") == std::optional<std::string_view>("format"));
  CHECK(suggest_key(*disk, "readOnly") == std::optional<std::string_view>("readonly"));
  CHECK(suggest_key(*disk, "hotplugg") == std::optional<std::string_view>("hotplug"));
  CHECK_FALSE(suggest_key(*disk, "zzzzzzzz").has_value());
  CHECK_FALSE(suggest_key(*disk, std::string(200, 'f')).has_value());
  const TableSpec* root = find_table_spec("");
  REQUIRE(root != nullptr);
  CHECK(suggest_key(*root, "disks") == std::optional<std::string_view>("disk"));
}

TEST_CASE("every sub-table key points at a table spec and every spec is reachable", "[compiler]") {
  std::set<std::string_view> reachable{""};
  for (const TableSpec& table : manifest_tables()) {
    std::set<std::string_view> keys;
    for (const KeySpec& key : table.keys) {
      INFO(table.display << " " << key.name);
      CHECK(keys.insert(key.name).second);
      bool nested = key.type == KeyType::table || key.type == KeyType::table_array || key.type == KeyType::free_table;
      CHECK(nested == !key.table().empty());
      if (nested) {
        CHECK(find_table_spec(key.table()) != nullptr);
        reachable.insert(key.table());
      }
      for (char c : key.name) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
    }
  }
  for (const TableSpec& table : manifest_tables()) CHECK(reachable.count(table.name) == 1);
}

TEST_CASE("every range and default fits its key", "[compiler]") {
  for (const TableSpec& table : manifest_tables()) {
    for (const KeySpec& key : table.keys) {
      INFO(table.display << " " << key.name);
      CHECK_FALSE(key.description.empty());
      bool integral = key.type == KeyType::integer || key.type == KeyType::integer_array;
      const auto range = key.range();
      if (range) CHECK((integral && range->min <= range->max));
      const KeyDefault& d = key.fallback;
      switch (d.kind()) {
        case KeyDefault::Kind::none: break;
        case KeyDefault::Kind::boolean: CHECK(key.type == KeyType::boolean); break;
        case KeyDefault::Kind::integer:
          CHECK((key.type == KeyType::integer || key.type == KeyType::size || key.type == KeyType::duration));
          if (range) CHECK((d.integer() >= range->min && d.integer() <= range->max));
          break;
        case KeyDefault::Kind::text:
          CHECK(key.type == KeyType::string);
          if (const auto choices = key.choices(); !choices.empty()) {
            CHECK(std::find(choices.begin(), choices.end(), d.text()) != choices.end());
          }
          break;
        case KeyDefault::Kind::texts:
          CHECK(key.type == KeyType::string_array);
          for (std::string_view text : d.texts()) {
            CHECK(std::find(key.choices().begin(), key.choices().end(), text) != key.choices().end());
          }
          break;
      }
    }
  }
}

TEST_CASE("the settled DESIGN.md keys are in the table", "[compiler]") {
  auto has = [](std::string_view table, std::string_view key) {
    const TableSpec* spec = find_table_spec(table);
    return spec != nullptr && spec->find(key) != nullptr;
  };
  CHECK(has("", "name"));
  for (std::string_view key : {"type", "accel", "hotplug_slots"}) CHECK(has("machine", key));
  for (std::string_view key : {"count", "max", "model"}) CHECK(has("cpu", key));
  for (std::string_view key : {"size", "max", "slots"}) CHECK(has("memory", key));
  for (std::string_view key : {"path", "initrd", "cmdline"}) CHECK(has("kernel", key));
  for (std::string_view key : {"id", "file", "format", "hotplug"}) CHECK(has("disk", key));
  for (std::string_view key : {"id", "backend", "mac"}) CHECK(has("net", key));
  for (std::string_view key : {"id", "backend", "path"}) CHECK(has("serial", key));
  CHECK(has("supervisor", "shutdown_timeout"));
}
