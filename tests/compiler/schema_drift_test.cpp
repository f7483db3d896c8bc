// schema/vmforge.schema.json and the loader's key table (manifest_keys.cpp) describe the same
// manifest: the same tables, keys, value types and enum values, table by table.
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/manifest_keys.hpp"

using namespace vmforge;

namespace {

JsonValue load_schema() {
  const char* source = std::getenv("VMFORGE_SOURCE_DIR");
  REQUIRE(source != nullptr);
  std::ifstream in(std::string(source) + "/schema/vmforge.schema.json");
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  auto schema = parse_json(text.str());
  if (!schema) FAIL(schema.error().message);
  return std::move(schema).value();
}

class Drift {
 public:
  explicit Drift(const JsonValue& schema) : schema_(schema) {}

  /// Follows a local "$ref": "#/definitions/NAME".
  const JsonValue& resolve(const JsonValue& node) const {
    auto ref = node.get_string("$ref");
    if (!ref) return node;
    constexpr std::string_view kPrefix = "#/definitions/";
    REQUIRE(ref->substr(0, kPrefix.size()) == kPrefix);
    const JsonValue* target = schema_.find_path({"definitions", ref->substr(kPrefix.size())});
    REQUIRE(target != nullptr);
    return *target;
  }

  void table(const JsonValue& object, const TableSpec& spec) {
    INFO("table " << spec.display);
    CHECK(object.get_string("type") == std::optional<std::string_view>("object"));
    CHECK(object.get_bool("additionalProperties") == std::optional<bool>(false));
    const JsonValue* properties = object.find("properties");
    REQUIRE(properties != nullptr);
    REQUIRE(properties->is_object());
    std::set<std::string> in_schema;
    for (const JsonMember& member : *properties->as_object()) in_schema.insert(member.key);
    std::set<std::string> in_table;
    for (const KeySpec& key : spec.keys) in_table.emplace(key.name);
    for (const std::string& key : in_table) {
      INFO("key '" << key << "' is in the key table but not in the schema");
      CHECK(in_schema.count(key) == 1);
    }
    for (const std::string& key : in_schema) {
      INFO("key '" << key << "' is in the schema but not in the key table");
      CHECK(in_table.count(key) == 1);
    }
    if (const JsonValue* required = object.find("required")) {
      for (const JsonValue& name : *required->as_array()) CHECK(in_schema.count(std::string(*name.as_string())) == 1);
    }
    for (const KeySpec& key : spec.keys) {
      if (const JsonValue* node = properties->find(key.name)) this->key(*node, key);
    }
    ++tables_;
  }

  int tables() const { return tables_; }

 private:
  static std::vector<std::string_view> enum_of(const JsonValue& node) {
    std::vector<std::string_view> out;
    if (const JsonValue* values = node.find("enum")) {
      for (const JsonValue& v : *values->as_array()) out.push_back(*v.as_string());
    }
    return out;
  }

  void key(const JsonValue& raw, const KeySpec& spec) {
    INFO("key '" << spec.name << "'");
    CHECK_FALSE(raw.get_string("description").value_or("").empty());
    const JsonValue& node = resolve(raw);
    std::vector<std::string_view> choices(spec.choices.begin(), spec.choices.end());
    auto type = node.get_string("type");
    switch (spec.type) {
      case KeyType::string:
      case KeyType::duration:
        CHECK(type == std::optional<std::string_view>("string"));
        CHECK(enum_of(node) == choices);
        break;
      case KeyType::integer:
        CHECK(type == std::optional<std::string_view>("integer"));
        break;
      case KeyType::boolean:
        CHECK(type == std::optional<std::string_view>("boolean"));
        break;
      case KeyType::size: {
        const JsonValue* any_of = node.find("anyOf");
        REQUIRE(any_of != nullptr);
        std::set<std::string_view> types;
        for (const JsonValue& alternative : *any_of->as_array()) types.insert(*alternative.get_string("type"));
        CHECK(types == std::set<std::string_view>{"string", "integer"});
        break;
      }
      case KeyType::string_array:
      case KeyType::integer_array: {
        CHECK(type == std::optional<std::string_view>("array"));
        const JsonValue* items = node.find("items");
        REQUIRE(items != nullptr);
        bool strings = spec.type == KeyType::string_array;
        CHECK(items->get_string("type") == std::optional<std::string_view>(strings ? "string" : "integer"));
        CHECK(enum_of(*items) == choices);
        break;
      }
      case KeyType::table:
        table(node, *find_table_spec(spec.table));
        break;
      case KeyType::table_array: {
        CHECK(type == std::optional<std::string_view>("array"));
        const JsonValue* items = node.find("items");
        REQUIRE(items != nullptr);
        table(resolve(*items), *find_table_spec(spec.table));
        break;
      }
      case KeyType::free_table: {
        CHECK(type == std::optional<std::string_view>("object"));
        const JsonValue* extra = node.find("additionalProperties");
        REQUIRE(extra != nullptr);
        CHECK(extra->is_object());
        ++tables_;
        break;
      }
    }
  }

  const JsonValue& schema_;
  int tables_ = 0;
};

}  // namespace

TEST_CASE("the schema and the key table agree table by table", "[compiler]") {
  JsonValue schema = load_schema();
  CHECK(schema.get_string("$schema") == std::optional<std::string_view>("http://json-schema.org/draft-07/schema#"));
  Drift drift(schema);
  drift.table(schema, *find_table_spec(""));
  CHECK(static_cast<std::size_t>(drift.tables()) == manifest_tables().size());
}

TEST_CASE("every schema definition is used", "[compiler]") {
  JsonValue schema = load_schema();
  const JsonValue* definitions = schema.find("definitions");
  REQUIRE(definitions != nullptr);
  for (const JsonMember& member : *definitions->as_object()) {
    INFO(member.key);
    CHECK(find_table_spec(member.key) != nullptr);
  }
}
