// The manifest's key table: which keys each table accepts, with their value types and allowed
// values. Used by the shape check (unknown keys, types, enum values) and by the schema test.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmforge {

enum class KeyType {
  string,
  integer,
  boolean,
  size,           // "512M" or an integer number of bytes
  duration,       // "30s"
  string_array,
  integer_array,
  table,          // a sub-table described by KeySpec::table
  table_array,    // an array of tables ([[disk]]) described by KeySpec::table
  free_table,     // a table of user-chosen keys with string/integer/boolean values
};

struct KeySpec {
  std::string_view name;
  KeyType type = KeyType::string;
  /// string / string_array: the accepted values (empty: any string).
  std::span<const std::string_view> choices = {};
  /// table / table_array: the TableSpec name of the contents.
  std::string_view table = {};
};

struct TableSpec {
  std::string_view name;     // "" for the top level, "machine", "disk", "machine.options"
  std::string_view display;  // "the top level", "[machine]", "[[disk]]"
  std::span<const KeySpec> keys;

  const KeySpec* find(std::string_view key) const;
};

/// Every table of the manifest, the top level first.
std::span<const TableSpec> manifest_tables();

/// The table named `name` ("" = top level), or nullptr.
const TableSpec* find_table_spec(std::string_view name);

/// Edit distance (insert, delete, substitute, swap neighbours), for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string_view> closest_match(std::string_view word, std::span<const std::string_view> candidates);

/// closest_match() over the key names of `table`.
std::optional<std::string_view> suggest_key(const TableSpec& table, std::string_view word);

}  // namespace vmforge
