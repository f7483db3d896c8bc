// RawValue: the parsed manifest as a plain tree with source positions, the loader's output.
// Our own type, so that toml++ stays inside manifest/loader.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/diagnostic.hpp"

namespace vmforge {

struct RawEntry;

struct RawValue {
  enum class Kind { string, integer, floating, boolean, datetime, array, table };

  Kind kind = Kind::table;
  SourceLoc loc;     // where the value (or the table header) starts
  std::string text;  // string; datetime in TOML text form
  std::int64_t integer = 0;
  double floating = 0;
  bool boolean = false;
  std::vector<RawValue> items;    // array
  std::vector<RawEntry> entries;  // table, in file order

  /// The entry named `key` of a table, or nullptr.
  const RawEntry* find(std::string_view key) const;
};

struct RawEntry {
  std::string key;
  SourceLoc key_loc;
  RawValue value;
};

/// "a string", "an integer", ...: for type mismatch messages.
std::string_view describe(RawValue::Kind kind);

}  // namespace vmforge
