// ValidateContext and Fields: what every validation file shares. The context collects
// diagnostics, ids and pending references; Fields reads one shape-checked table with
// range checks, path resolution and messages that name the table they come from.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "compiler/base/diag_quote.hpp"
#include "compiler/base/diagnostic.hpp"
#include "compiler/manifest/keys.hpp"
#include "compiler/manifest/raw_manifest.hpp"
#include "compiler/model/model.hpp"

namespace vmforge {

/// A device id and what declared it.
struct IdInfo {
  std::string kind;  // table name: "disk", "iothread"
  SourceLoc loc;
};

/// A reference to a device id, checked once every table has been read.
struct PendingRef {
  DeviceId target;
  std::vector<std::string_view> kinds;  // acceptable table names
  SourceLoc loc;
  std::string owner;  // "disk 'root'"
  std::string key;    // "iothread"
};

class ValidateContext {
 public:
  ValidateContext(Diagnostics& diags, std::string base_dir) : diags_(diags), base_dir_(std::move(base_dir)) {}

  void error(const SourceLoc& loc, std::string message) { diags_.error(loc, std::move(message)); }
  Diagnostics& diags() { return diags_; }

  /// `path` made absolute against the manifest's directory.
  std::string resolve(std::string_view path) const;

  /// Records `id` for `kind`; a second use of the same id is an error at `loc`.
  void register_id(const DeviceId& id, std::string_view kind, const SourceLoc& loc);
  const IdInfo* lookup(const DeviceId& id) const;
  void expect_ref(PendingRef ref) { refs_.push_back(std::move(ref)); }
  /// Reports references to ids that do not exist or are of the wrong kind.
  void check_refs();

 private:
  Diagnostics& diags_;
  std::string base_dir_;
  std::map<DeviceId, IdInfo> ids_;
  std::vector<PendingRef> refs_;
};

/// Read access to one table of the manifest, described by its TableSpec. `table` may be null
/// (the table is absent): every key then reads as absent. Values of the wrong type read as
/// absent too: the shape check has reported them already. Ranges and defaults come from the key
/// table; asking for a key the TableSpec does not list is a vmforge bug, reported as an error.
class Fields {
 public:
  /// `spec` names the table in the key table: "" (the top level), "disk", "disk.backing".
  Fields(const RawValue* table, std::string_view spec, std::string owner, ValidateContext& ctx,
         SourceLoc fallback = {});

  bool present() const { return table_ != nullptr; }
  bool has(std::string_view key) const { return raw(key) != nullptr; }
  const RawValue* raw(std::string_view key) const;
  /// The table's own position (its header), or the fallback for an absent table.
  SourceLoc loc() const;
  /// The position of `key`'s value, or the table's when the key is absent.
  SourceLoc loc(std::string_view key) const;

  /// How messages name this table: "[machine]", "[[disk]]", then "disk 'root'" once known.
  const std::string& owner() const { return owner_; }
  void set_owner(std::string owner) { owner_ = std::move(owner); }
  ValidateContext& ctx() const { return ctx_; }

  void error(std::string_view key, std::string message) const { ctx_.error(loc(key), std::move(message)); }
  /// "disk 'root' is missing 'file'" at the table when `key` is absent; returns whether present.
  bool require(std::string_view key) const;
  /// When `key` is set but `applies` is false: "'key' only applies to <where>".
  void only_if(bool applies, std::string_view key, std::string_view where) const;

  std::optional<std::string> text(std::string_view key) const;
  std::string text_or_default(std::string_view key) const;
  std::optional<bool> flag(std::string_view key) const;
  bool flag_or(std::string_view key, bool fallback) const { return flag(key).value_or(fallback); }
  bool flag_or_default(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  /// An integer within the key's range; outside is an error naming the range.
  std::optional<std::uint64_t> number(std::string_view key) const;
  std::uint64_t number_or_default(std::string_view key) const { return number(key).value_or(default_number(key)); }
  /// The key table's default of an integer key.
  std::uint64_t default_number(std::string_view key) const;
  /// The key's range (an integer_array's: each item's).
  KeyRange range(std::string_view key) const;
  /// How many items the array `key` may have.
  KeyRange item_count(std::string_view key) const;
  /// How many bytes the string `key` may have.
  KeyRange length(std::string_view key) const;
  std::optional<ByteSize> size(std::string_view key) const;
  /// For an error about a memory size: when `key` is an integer under 1 MiB, most likely MiB
  /// meant as bytes, "; an integer is a number of bytes: did you mean \"1024M\"?"; else "".
  std::string size_unit_hint(std::string_view key) const;
  std::optional<Duration> duration(std::string_view key) const;
  /// A non-empty path, made absolute against the manifest's directory.
  std::optional<std::string> path(std::string_view key) const;
  /// A string that must not be empty.
  std::optional<std::string> nonempty(std::string_view key) const;
  /// A device id given as a reference; recorded and checked against `kinds` after all tables.
  std::optional<DeviceId> ref(std::string_view key, std::initializer_list<std::string_view> kinds) const;
  std::vector<std::string> texts(std::string_view key) const;
  std::vector<std::int64_t> integers(std::string_view key) const;

  template <class E>
  std::optional<E> choice(std::string_view key) const {
    auto value = text(key);
    if (!value) return std::nullopt;
    return enum_from_string<E>(*value);  // the shape check has rejected unknown names
  }

  template <class E>
  E choice_or_default(std::string_view key) const {
    if (auto value = choice<E>(key)) return *value;
    return enum_from_string<E>(fallback(key, KeyDefault::Kind::text).text()).value_or(E{});
  }

 private:
  /// The key table's entry for `key`.
  const KeySpec& spec(std::string_view key) const;
  /// The key table's default for `key`, which must be of `kind`.
  const KeyDefault& fallback(std::string_view key, KeyDefault::Kind kind) const;
  /// The range, item count or length (`which`) of `key`.
  KeyRange limits(std::string_view key, std::optional<KeyRange> (KeySpec::*which)() const, std::string_view what) const;
  /// Reports a validator that disagrees with the key table.
  void bug(std::string_view problem) const;

  const RawValue* table_;
  const TableSpec& spec_;
  std::string owner_;
  ValidateContext& ctx_;
  SourceLoc fallback_;
};

/// Calls `fn` with a Fields for each table of the array `[[key]]` (owner "[[key]]").
void for_each_table(const RawValue& root, std::string_view key, ValidateContext& ctx,
                    const std::function<void(Fields&)>& fn);

/// Fields of the single table `[key]` (present or not).
Fields single_table(const RawValue& root, std::string_view key, ValidateContext& ctx);

/// Reads and checks the `id` of a device table (registration happens beforehand, in file
/// order, see register_device_ids); renames the owner to "<kind> '<id>'" and records the
/// table's position in vm.origins.
DeviceId read_device_id(Fields& fields, std::string_view kind, Vm& vm);

/// Registers the ids of all device tables in file order, so a duplicate is reported at its
/// second occurrence.
void register_device_ids(const RawValue& root, ValidateContext& ctx);

/// Characters allowed in names QEMU sees as identifiers or property names.
bool is_name_text(std::string_view text, std::string_view extra);

}  // namespace vmforge
