// RawValue lookup and kind names.
#include "compiler/manifest/raw_manifest.hpp"

namespace vmforge {

const RawEntry* RawValue::find(std::string_view key) const {
  for (const RawEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

std::string_view describe(RawValue::Kind kind) {
  switch (kind) {
    case RawValue::Kind::string: return "a string";
    case RawValue::Kind::integer: return "an integer";
    case RawValue::Kind::floating: return "a float";
    case RawValue::Kind::boolean: return "a boolean";
    case RawValue::Kind::datetime: return "a date/time";
    case RawValue::Kind::array: return "an array";
    case RawValue::Kind::table: return "a table";
  }
  return "a value";
}

}  // namespace vmforge
