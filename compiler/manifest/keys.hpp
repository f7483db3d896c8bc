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

enum class KeyType : std::uint8_t {
  string,
  integer,
  boolean,
  size,      // "512M" or an integer number of bytes
  duration,  // "30s"
  string_array,
  integer_array,
  table,        // a sub-table described by KeySpec::table()
  table_array,  // an array of tables ([[disk]]) described by KeySpec::table()
  free_table,   // a table of user-chosen keys with string/integer/boolean values
};

/// The integers an integer key accepts (integer_array: each item), both ends included.
struct KeyRange {
  std::int64_t min = 0;
  /// The largest TOML integer: no upper limit.
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  bool operator==(const KeyRange&) const = default;
};

// The key table is some 350 KeySpecs holding pointers, so every page of it is relocated, and
// written, in each process at load (vmforge is PIE): each byte a KeySpec takes costs every
// supervisor private memory. Hence the members a key has at most one of share storage, and
// the accessors below say which one a key has.

/// What an absent key means when that is one fixed value (the schema's "default"). Keys whose
/// absence depends on other keys, or that are required, have none.
class KeyDefault {
 public:
  enum class Kind : std::uint8_t { none, boolean, integer, text, texts };

  constexpr KeyDefault() = default;
  static constexpr KeyDefault of_boolean(bool value) { return KeyDefault(Kind::boolean, value ? 1 : 0); }
  /// integer; size: bytes; duration: milliseconds.
  static constexpr KeyDefault of_integer(std::int64_t value) { return KeyDefault(Kind::integer, value); }
  /// string, enum name.
  static constexpr KeyDefault of_text(std::string_view value) {
    KeyDefault d(Kind::text, 0);
    d.chars_ = value.data();
    d.size_ = static_cast<std::uint32_t>(value.size());
    return d;
  }
  /// string_array.
  static constexpr KeyDefault of_texts(std::span<const std::string_view> values) {
    KeyDefault d(Kind::texts, 0);
    d.items_ = values.data();
    d.size_ = static_cast<std::uint32_t>(values.size());
    return d;
  }

  constexpr Kind kind() const { return kind_; }
  constexpr bool boolean() const { return kind_ == Kind::boolean && integer_ != 0; }
  constexpr std::int64_t integer() const { return kind_ == Kind::integer ? integer_ : 0; }
  constexpr std::string_view text() const {
    return kind_ == Kind::text ? std::string_view(chars_, size_) : std::string_view();
  }
  constexpr std::span<const std::string_view> texts() const {
    return kind_ == Kind::texts ? std::span<const std::string_view>(items_, size_) : std::span<const std::string_view>();
  }

 private:
  constexpr KeyDefault(Kind kind, std::int64_t integer) : integer_(integer), kind_(kind) {}

  union {
    std::int64_t integer_ = 0;  // boolean, integer
    const char* chars_;         // text
    const std::string_view* items_;  // texts
  };
  std::uint32_t size_ = 0;
  Kind kind_ = Kind::none;
};

class KeySpec {
 public:
  std::string_view name;
  /// One line for editors (the schema's "description").
  std::string_view description = {};
  KeyDefault fallback = {};

  constexpr KeySpec() = default;
  constexpr KeySpec(std::string_view name, KeyType type, std::string_view description)
      : name(name), description(description), type(type) {}

  /// string / string_array: the accepted values (empty: any string).
  constexpr std::span<const std::string_view> choices() const {
    if (type != KeyType::string && type != KeyType::string_array) return {};
    return {choices_, nested_size_};
  }
  /// table / table_array / free_table: the TableSpec name of the contents.
  constexpr std::string_view table() const {
    if (type != KeyType::table && type != KeyType::table_array && type != KeyType::free_table) return {};
    return {table_, nested_size_};
  }
  /// integer / integer_array: the accepted values; absent: any integer. (Any other type but
  /// a string has none: the key table's tests check that.)
  constexpr std::optional<KeyRange> range() const {
    if (type == KeyType::string || !limits_set_) return std::nullopt;
    return limits_;
  }
  /// string: how many bytes it may have; absent: any number.
  constexpr std::optional<KeyRange> length() const {
    if (type != KeyType::string || !limits_set_) return std::nullopt;
    return limits_;
  }
  /// string_array / integer_array: how many items it may have; absent: any number.
  constexpr std::optional<KeyRange> count() const {
    if (!count_set_) return std::nullopt;
    return KeyRange{count_min_, count_max_ == kNoMaxCount ? KeyRange{}.max : count_max_};
  }

  constexpr KeySpec with_choices(std::span<const std::string_view> values) const {
    KeySpec spec = *this;
    spec.choices_ = values.data();
    spec.nested_size_ = static_cast<std::uint16_t>(values.size());
    return spec;
  }
  constexpr KeySpec nested_in(std::string_view table) const {
    KeySpec spec = *this;
    spec.table_ = table.data();
    spec.nested_size_ = static_cast<std::uint16_t>(table.size());
    return spec;
  }
  constexpr KeySpec in(std::int64_t min, std::int64_t max) const { return limited(min, max); }
  constexpr KeySpec at_least(std::int64_t min) const { return in(min, KeyRange{}.max); }
  constexpr KeySpec items(std::uint16_t min, std::uint16_t max = kNoMaxCount) const {
    KeySpec spec = *this;
    spec.count_set_ = true;
    spec.count_min_ = min;
    spec.count_max_ = max;
    return spec;
  }
  constexpr KeySpec bytes(std::int64_t min, std::int64_t max) const { return limited(min, max); }
  constexpr KeySpec defaults_to(KeyDefault value) const {
    KeySpec spec = *this;
    spec.fallback = value;
    return spec;
  }

 private:
  static constexpr std::uint16_t kNoMaxCount = std::numeric_limits<std::uint16_t>::max();

  // An integer's range and a string's length: no key has both.
  constexpr KeySpec limited(std::int64_t min, std::int64_t max) const {
    KeySpec spec = *this;
    spec.limits_set_ = true;
    spec.limits_ = KeyRange{min, max};
    return spec;
  }

  KeyRange limits_ = {};
  union {  // a string's choices and a table's contents: no key has both
    const std::string_view* choices_ = nullptr;
    const char* table_;
  };
  std::uint16_t nested_size_ = 0;
  std::uint16_t count_min_ = 0;
  std::uint16_t count_max_ = 0;
  bool limits_set_ : 1 = false;
  bool count_set_ : 1 = false;

 public:
  // Last, in what the members above leave of the last 8 bytes.
  KeyType type = KeyType::string;
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
