// schema/vmforge.schema.json and the loader's key table (manifest/keys.cpp) describe the same
// manifest: the same tables, keys, value types, enum values, ranges, defaults and descriptions,
// table by table.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/base/json_value.hpp"
#include "compiler/manifest/keys.hpp"
#include "compiler/model/units.hpp"
#include "tests/support/source_tree.hpp"

using namespace vmforge;

namespace {

JsonValue load_schema() {
  auto schema = parse_json(test::file_text(test::source_path("schema/vmforge.schema.json")));
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

  /// The schema's minimum/maximum of `node` against the key table's range; a range without
  /// an upper end is the largest TOML integer, which the schema leaves unsaid.
  static void range(const JsonValue& node, const std::optional<KeyRange>& range) {
    if (!range) {
      CHECK(node.find("minimum") == nullptr);
      CHECK(node.find("maximum") == nullptr);
      return;
    }
    CHECK(node.get_int64("minimum") == std::optional<std::int64_t>(range->min));
    if (range->max == KeyRange{}.max) CHECK(node.find("maximum") == nullptr);
    else CHECK(node.get_int64("maximum") == std::optional<std::int64_t>(range->max));
  }

  /// The schema's minItems/maxItems of an array against the key table's item count.
  static void count(const JsonValue& node, const std::optional<KeyRange>& count) {
    auto min = count && count->min > 0 ? std::optional<std::int64_t>(count->min) : std::nullopt;
    auto max = count && count->max != KeyRange{}.max ? std::optional<std::int64_t>(count->max) : std::nullopt;
    CHECK(node.get_int64("minItems") == min);
    CHECK(node.get_int64("maxItems") == max);
  }

  /// The schema's minLength/maxLength of a string against the key table's length.
  static void length(const JsonValue& node, const std::optional<KeyRange>& length) {
    auto min = length && length->min > 0 ? std::optional<std::int64_t>(length->min) : std::nullopt;
    auto max = length && length->max != KeyRange{}.max ? std::optional<std::int64_t>(length->max) : std::nullopt;
    CHECK(node.get_int64("minLength") == min);
    CHECK(node.get_int64("maxLength") == max);
  }

  /// The schema's "default" against the key table's, in the key's own terms (sizes in bytes,
  /// durations in milliseconds).
  static void fallback(const JsonValue& node, const KeySpec& spec) {
    const JsonValue* value = node.find("default");
    const KeyDefault& d = spec.fallback;
    switch (d.kind()) {
      case KeyDefault::Kind::none: CHECK(value == nullptr); return;
      case KeyDefault::Kind::boolean:
        REQUIRE(value != nullptr);
        CHECK(value->as_bool() == std::optional<bool>(d.boolean()));
        return;
      case KeyDefault::Kind::integer:
        REQUIRE(value != nullptr);
        CHECK(in_key_units(*value, spec.type) == std::optional<std::int64_t>(d.integer()));
        return;
      case KeyDefault::Kind::text:
        REQUIRE(value != nullptr);
        CHECK(value->as_string() == std::optional<std::string_view>(d.text()));
        return;
      case KeyDefault::Kind::texts: {
        REQUIRE(value != nullptr);
        REQUIRE(value->is_array());
        std::vector<std::string_view> texts;
        for (const JsonValue& item : *value->as_array()) texts.push_back(item.as_string().value_or("?"));
        CHECK(texts == std::vector<std::string_view>(d.texts().begin(), d.texts().end()));
        return;
      }
    }
  }

  static std::optional<std::int64_t> in_key_units(const JsonValue& value, KeyType type) {
    auto text = value.as_string();
    if (type == KeyType::size && text) {
      auto size = ByteSize::parse(*text);
      return size ? std::optional<std::int64_t>(static_cast<std::int64_t>(size->bytes())) : std::nullopt;
    }
    if (type == KeyType::duration && text) {
      auto duration = Duration::parse(*text);
      return duration ? std::optional<std::int64_t>(duration->ms().count()) : std::nullopt;
    }
    return value.as_int64();
  }

  void key(const JsonValue& raw, const KeySpec& spec) {
    INFO("key '" << spec.name << "'");
    CHECK_FALSE(spec.description.empty());
    CHECK(raw.get_string("description") == std::optional<std::string_view>(spec.description));
    fallback(raw, spec);
    const JsonValue& node = resolve(raw);
    if (spec.type == KeyType::integer) range(node, spec.range());
    else if (spec.type == KeyType::integer_array && node.find("items")) range(*node.find("items"), spec.range());
    else CHECK_FALSE(spec.range().has_value());
    bool array = spec.type == KeyType::string_array || spec.type == KeyType::integer_array;
    if (array) count(node, spec.count());
    else CHECK_FALSE(spec.count().has_value());
    if (spec.type == KeyType::string) length(node, spec.length());
    else CHECK_FALSE(spec.length().has_value());
    const auto key_choices = spec.choices();
    std::vector<std::string_view> choices(key_choices.begin(), key_choices.end());
    auto type = node.get_string("type");
    switch (spec.type) {
      case KeyType::string:
      case KeyType::duration:
        CHECK(type == std::optional<std::string_view>("string"));
        CHECK(enum_of(node) == choices);
        break;
      case KeyType::integer: CHECK(type == std::optional<std::string_view>("integer")); break;
      case KeyType::boolean: CHECK(type == std::optional<std::string_view>("boolean")); break;
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
      case KeyType::table: table(node, *find_table_spec(spec.table())); break;
      case KeyType::table_array: {
        CHECK(type == std::optional<std::string_view>("array"));
        const JsonValue* items = node.find("items");
        REQUIRE(items != nullptr);
        table(resolve(*items), *find_table_spec(spec.table()));
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
