// The manifest's key table: which keys each table accepts, with their value types, allowed
// values, ranges, defaults and descriptions. Used by the shape check (unknown keys, types, enum
// values), by the validators (ranges, defaults) and by the schema drift test.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmforge {

enum class KeyType {
  string,
  integer,
  boolean,
  size,      // "512M" or an integer number of bytes
  duration,  // "30s"
  string_array,
  integer_array,
  table,        // a sub-table described by KeySpec::table
  table_array,  // an array of tables ([[disk]]) described by KeySpec::table
  free_table,   // a table of user-chosen keys with string/integer/boolean values
};

/// The integers an integer key accepts (integer_array: each item), both ends included.
struct KeyRange {
  std::int64_t min = 0;
  /// The largest TOML integer: no upper limit.
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  bool operator==(const KeyRange&) const = default;
};

/// What an absent key means when that is one fixed value (the schema's "default"). Keys whose
/// absence depends on other keys, or that are required, have none.
struct KeyDefault {
  enum class Kind { none, boolean, integer, text, texts };
  Kind kind = Kind::none;
  bool boolean = false;
  std::int64_t integer = 0;                      // integer; size: bytes; duration: milliseconds
  std::string_view text = {};                    // string, enum name
  std::span<const std::string_view> texts = {};  // string_array
};

struct KeySpec {
  std::string_view name;
  KeyType type = KeyType::string;
  /// string / string_array: the accepted values (empty: any string).
  std::span<const std::string_view> choices = {};
  /// table / table_array / free_table: the TableSpec name of the contents.
  std::string_view table = {};
  /// One line for editors (the schema's "description").
  std::string_view description = {};
  /// integer / integer_array: the accepted values; absent: any integer.
  std::optional<KeyRange> range = {};
  /// string_array / integer_array: how many items it may have; absent: any number.
  std::optional<KeyRange> count = {};
  /// string: how many bytes it may have; absent: any number.
  std::optional<KeyRange> length = {};
  KeyDefault fallback = {};

  constexpr KeySpec in(std::int64_t min, std::int64_t max) const {
    KeySpec spec = *this;
    spec.range = KeyRange{min, max};
    return spec;
  }
  constexpr KeySpec at_least(std::int64_t min) const { return in(min, KeyRange{}.max); }
  constexpr KeySpec items(std::int64_t min, std::int64_t max = KeyRange{}.max) const {
    KeySpec spec = *this;
    spec.count = KeyRange{min, max};
    return spec;
  }
  constexpr KeySpec bytes(std::int64_t min, std::int64_t max) const {
    KeySpec spec = *this;
    spec.length = KeyRange{min, max};
    return spec;
  }
  constexpr KeySpec defaults_to(KeyDefault value) const {
    KeySpec spec = *this;
    spec.fallback = value;
    return spec;
  }
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
