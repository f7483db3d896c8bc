// Shape check of the raw manifest against the key table (manifest/keys.cpp).
#include "compiler/manifest/shape.hpp"

#include <fmt/format.h>

#include "compiler/base/diag_quote.hpp"
#include "compiler/manifest/keys.hpp"

namespace vmforge {

namespace {

void check_table(const RawValue& table, const TableSpec& spec, Diagnostics& diags);

std::string_view expected_kind(KeyType type) {
  switch (type) {
    case KeyType::string: return "a string";
    case KeyType::integer: return "an integer";
    case KeyType::boolean: return "a boolean (true or false)";
    case KeyType::size: return "a size (a string like '512M' or an integer number of bytes)";
    case KeyType::duration: return "a duration (a string like '30s')";
    case KeyType::string_array: return "an array of strings";
    case KeyType::integer_array: return "an array of integers";
    case KeyType::table: return "a table";
    case KeyType::table_array: return "an array of tables";
    case KeyType::free_table: return "a table";
  }
  return "a value";
}

void check_string(std::string_view where, std::string_view key, const RawValue& value, const KeySpec& spec,
                  Diagnostics& diags) {
  const std::string& text = value.text;
  if (text.find('\0') != std::string::npos) {
    diags.error(value.loc,
                fmt::format("{}{} contains a NUL character, which no QEMU argument can carry", where, quote_text(key)));
    return;
  }
  if (text.find_first_of("\n\r") != std::string::npos) {
    diags.error(value.loc,
                fmt::format("{}{} contains a line break, which vmforge does not pass to QEMU", where, quote_text(key)));
    return;
  }
  if (spec.choices().empty()) return;
  for (std::string_view choice : spec.choices()) {
    if (choice == text) return;
  }
  std::string list;
  for (std::size_t i = 0; i < spec.choices().size(); ++i) {
    if (i > 0) list += i + 1 == spec.choices().size() ? " or " : ", ";
    list += fmt::format("'{}'", spec.choices()[i]);
  }
  std::string message = fmt::format("{}{} is not a valid value for '{}': use {}", where, quote_text(text), key, list);
  if (auto guess = closest_match(text, spec.choices())) message += fmt::format(" (did you mean '{}'?)", *guess);
  diags.error(value.loc, std::move(message));
}

void type_error(std::string_view where, std::string_view key, const RawValue& value, KeyType type, Diagnostics& diags) {
  if (type == KeyType::table_array && value.kind == RawValue::Kind::table) {
    diags.error(value.loc,
                fmt::format("{}'{}' must be an array of tables: write [[{}]], not [{}]", where, key, key, key));
    return;
  }
  if (type == KeyType::table && value.kind == RawValue::Kind::array) {
    diags.error(value.loc, fmt::format("{}'{}' must be a single table: write [{}], not [[{}]]", where, key, key, key));
    return;
  }
  diags.error(value.loc,
              fmt::format("{}'{}' must be {}, not {}", where, key, expected_kind(type), describe(value.kind)));
}

void check_free_table(const RawValue& table, const TableSpec& spec, Diagnostics& diags) {
  static constexpr KeySpec kAnyString("", KeyType::string, "");
  for (const RawEntry& entry : table.entries) {
    const RawValue& value = entry.value;
    switch (value.kind) {
      case RawValue::Kind::string:
        check_string(fmt::format("{}: ", spec.display), entry.key, value, kAnyString, diags);
        break;
      case RawValue::Kind::integer:
      case RawValue::Kind::boolean: break;
      case RawValue::Kind::floating:
      case RawValue::Kind::datetime:
      case RawValue::Kind::array:
      case RawValue::Kind::table:
        diags.error(value.loc, fmt::format("{} in {} must be a string, an integer or a boolean, not {}",
                                           quote_text(entry.key), spec.display, describe(value.kind)));
    }
  }
}

void check_value(std::string_view where, const RawEntry& entry, const KeySpec& spec, Diagnostics& diags) {
  const RawValue& value = entry.value;
  using Kind = RawValue::Kind;
  auto array_of = [&](Kind item_kind) {
    if (value.kind != Kind::array) return type_error(where, entry.key, value, spec.type, diags);
    for (const RawValue& item : value.items) {
      if (item.kind != item_kind) {
        diags.error(item.loc, fmt::format("{}'{}' must be {}, but this element is {}", where, entry.key,
                                          expected_kind(spec.type), describe(item.kind)));
      } else if (item_kind == Kind::string) {
        check_string(where, entry.key, item, spec, diags);
      }
    }
  };
  switch (spec.type) {
    case KeyType::string:
    case KeyType::duration:
      if (value.kind != Kind::string) return type_error(where, entry.key, value, spec.type, diags);
      return check_string(where, entry.key, value, spec, diags);
    case KeyType::integer:
      if (value.kind != Kind::integer) return type_error(where, entry.key, value, spec.type, diags);
      return;
    case KeyType::boolean:
      if (value.kind != Kind::boolean) return type_error(where, entry.key, value, spec.type, diags);
      return;
    case KeyType::size:
      if (value.kind == Kind::string) return check_string(where, entry.key, value, spec, diags);
      if (value.kind != Kind::integer) return type_error(where, entry.key, value, spec.type, diags);
      return;
    case KeyType::string_array: return array_of(Kind::string);
    case KeyType::integer_array: return array_of(Kind::integer);
    case KeyType::table:
      if (value.kind != Kind::table) return type_error(where, entry.key, value, spec.type, diags);
      return check_table(value, *find_table_spec(spec.table()), diags);
    case KeyType::free_table:
      if (value.kind != Kind::table) return type_error(where, entry.key, value, spec.type, diags);
      return check_free_table(value, *find_table_spec(spec.table()), diags);
    case KeyType::table_array:
      if (value.kind != Kind::array) return type_error(where, entry.key, value, spec.type, diags);
      for (const RawValue& item : value.items) {
        if (item.kind != Kind::table) {
          diags.error(item.loc, fmt::format("{}'{}' must be an array of tables, but this element is {}", where,
                                            entry.key, describe(item.kind)));
        } else {
          check_table(item, *find_table_spec(spec.table()), diags);
        }
      }
      return;
  }
}

void check_table(const RawValue& table, const TableSpec& spec, Diagnostics& diags) {
  for (const RawEntry& entry : table.entries) {
    if (const KeySpec* key = spec.find(entry.key)) {
      check_value(spec.name.empty() ? "" : fmt::format("{}: ", spec.display), entry, *key, diags);
      continue;
    }
    std::string message = spec.name.empty() ? fmt::format("unknown top-level key {}", quote_text(entry.key))
                                            : fmt::format("unknown key {} in {}", quote_text(entry.key), spec.display);
    if (auto guess = suggest_key(spec, entry.key)) message += fmt::format("; did you mean '{}'?", *guess);
    diags.error(entry.key_loc, std::move(message));
  }
}

}  // namespace

void check_shape(const RawValue& root, Diagnostics& diags) { check_table(root, *find_table_spec(""), diags); }

}  // namespace vmforge
