// Shared validation machinery: id registry, references, typed field readers.
#include "compiler/validate/context.hpp"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "compiler/manifest/keys.hpp"

namespace vmforge {

std::string ValidateContext::resolve(std::string_view path) const {
  if (!path.empty() && path.front() == '/') return std::string(path);
  return (std::filesystem::path(base_dir_) / std::filesystem::path(path)).lexically_normal().string();
}

void ValidateContext::register_id(const DeviceId& id, std::string_view kind, const SourceLoc& loc) {
  auto [it, inserted] = ids_.try_emplace(id, IdInfo{std::string(kind), loc});
  if (inserted) return;
  const IdInfo& first = it->second;
  error(loc, fmt::format("duplicate id '{}': line {} already gives it to a [[{}]]; ids must be unique across "
                         "all devices",
                         id.str(), first.loc.line, first.kind));
}

const IdInfo* ValidateContext::lookup(const DeviceId& id) const {
  auto it = ids_.find(id);
  return it == ids_.end() ? nullptr : &it->second;
}

void ValidateContext::check_refs() {
  for (const PendingRef& ref : refs_) {
    std::string wanted;
    for (std::size_t i = 0; i < ref.kinds.size(); ++i) {
      if (i > 0) wanted += i + 1 == ref.kinds.size() ? " or " : ", ";
      wanted += fmt::format("[[{}]]", ref.kinds[i]);
    }
    const IdInfo* info = lookup(ref.target);
    if (!info) {
      std::vector<std::string> names;
      for (const auto& [id, declared] : ids_) {
        if (std::find(ref.kinds.begin(), ref.kinds.end(), declared.kind) != ref.kinds.end()) names.push_back(id.str());
      }
      const std::vector<std::string_view> candidates(names.begin(), names.end());
      const auto near = closest_match(ref.target.str(), candidates);
      error(ref.loc, fmt::format("{}: '{}' names '{}', but there is no {} with that id{}", ref.owner, ref.key,
                                 ref.target.str(), wanted, near ? fmt::format("; did you mean '{}'?", *near) : ""));
      continue;
    }
    bool kind_ok = false;
    for (std::string_view kind : ref.kinds) kind_ok = kind_ok || kind == info->kind;
    if (!kind_ok) {
      error(ref.loc, fmt::format("{}: '{}' must name a {}, but '{}' is a [[{}]]", ref.owner, ref.key, wanted,
                                 ref.target.str(), info->kind));
    }
  }
}

namespace {

/// The TableSpec of a table the validators read; every one of them is in the key table.
const TableSpec& table_spec(std::string_view name) {
  static constexpr TableSpec kNone{};
  const TableSpec* spec = find_table_spec(name);
  return spec ? *spec : kNone;
}

// The items of `kind` in the array `value` (the shape check reported any other), as `member`.
template <class T>
std::vector<T> array_items(const RawValue* value, RawValue::Kind kind, T RawValue::*member) {
  std::vector<T> out;
  if (!value || value->kind != RawValue::Kind::array) return out;
  for (const RawValue& item : value->items) {
    if (item.kind == kind) out.push_back(item.*member);
  }
  return out;
}

}  // namespace

Fields::Fields(const RawValue* table, std::string_view spec, std::string owner, ValidateContext& ctx,
               SourceLoc fallback)
    : table_(table), spec_(table_spec(spec)), owner_(std::move(owner)), ctx_(ctx), fallback_(std::move(fallback)) {
  if (spec_.name != spec) bug(fmt::format("the key table has no table '{}'", spec));
}

const KeySpec& Fields::spec(std::string_view key) const {
  static constexpr KeySpec kUnknown{};
  if (const KeySpec* spec = spec_.find(key)) return *spec;
  bug(fmt::format("{} has no key '{}' in the key table", spec_.display, key));
  return kUnknown;
}

const KeyDefault& Fields::fallback(std::string_view key, KeyDefault::Kind kind) const {
  const KeySpec& key_spec = spec(key);
  if (key_spec.fallback.kind() != kind) bug(fmt::format("{} '{}' has no default of the type read", spec_.display, key));
  return key_spec.fallback;
}

void Fields::bug(std::string_view problem) const {
  ctx_.error(loc(), fmt::format("vmforge bug: a validator and compiler/manifest/keys.cpp disagree: {}; please "
                                "report this",
                                problem));
}

const RawValue* Fields::raw(std::string_view key) const {
  spec(key);
  if (!table_) return nullptr;
  const RawEntry* entry = table_->find(key);
  return entry ? &entry->value : nullptr;
}

SourceLoc Fields::loc() const { return table_ ? table_->loc : fallback_; }

SourceLoc Fields::loc(std::string_view key) const {
  const RawValue* value = raw(key);
  return value ? value->loc : loc();
}

bool Fields::require(std::string_view key) const {
  if (has(key)) return true;
  ctx_.error(loc(), fmt::format("{} is missing '{}'", owner_, key));
  return false;
}

void Fields::only_if(bool applies, std::string_view key, std::string_view where) const {
  if (applies || !has(key)) return;
  error(key, fmt::format("{}: '{}' only applies to {}", owner_, key, where));
}

std::optional<std::string> Fields::text(std::string_view key) const {
  const RawValue* value = raw(key);
  if (!value || value->kind != RawValue::Kind::string) return std::nullopt;
  return value->text;
}

std::string Fields::text_or_default(std::string_view key) const {
  return text(key).value_or(std::string(fallback(key, KeyDefault::Kind::text).text()));
}

std::optional<bool> Fields::flag(std::string_view key) const {
  const RawValue* value = raw(key);
  if (!value || value->kind != RawValue::Kind::boolean) return std::nullopt;
  return value->boolean;
}

bool Fields::flag_or_default(std::string_view key) const {
  return flag(key).value_or(fallback(key, KeyDefault::Kind::boolean).boolean());
}

std::optional<std::int64_t> Fields::integer(std::string_view key) const {
  const RawValue* value = raw(key);
  if (!value || value->kind != RawValue::Kind::integer) return std::nullopt;
  return value->integer;
}

KeyRange Fields::limits(std::string_view key, std::optional<KeyRange> (KeySpec::*which)() const,
                        std::string_view what) const {
  const std::optional<KeyRange> limits = (spec(key).*which)();
  if (!limits) bug(fmt::format("{} '{}' has no {} in the key table", spec_.display, key, what));
  return limits.value_or(KeyRange{});
}

KeyRange Fields::range(std::string_view key) const { return limits(key, &KeySpec::range, "range"); }

KeyRange Fields::item_count(std::string_view key) const { return limits(key, &KeySpec::count, "item count"); }

KeyRange Fields::length(std::string_view key) const { return limits(key, &KeySpec::length, "length"); }

std::optional<std::uint64_t> Fields::number(std::string_view key) const {
  auto value = integer(key);
  if (!value) return std::nullopt;
  KeyRange limits = range(key);
  if (*value < limits.min || *value > limits.max) {
    error(key, fmt::format("{}: '{}' must be between {} and {}, not {}", owner_, key, limits.min, limits.max, *value));
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*value);
}

std::uint64_t Fields::default_number(std::string_view key) const {
  return static_cast<std::uint64_t>(fallback(key, KeyDefault::Kind::integer).integer());
}

std::optional<ByteSize> Fields::size(std::string_view key) const {
  const RawValue* value = raw(key);
  if (!value) return std::nullopt;
  if (value->kind == RawValue::Kind::integer) {
    if (value->integer < 0) {
      error(key, fmt::format("{}: '{}' must not be negative", owner_, key));
      return std::nullopt;
    }
    return ByteSize(static_cast<std::uint64_t>(value->integer));
  }
  if (value->kind != RawValue::Kind::string) return std::nullopt;
  auto parsed = ByteSize::parse(value->text);
  if (!parsed) {
    error(key, fmt::format("{}: {}", owner_, parsed.error().message));
    return std::nullopt;
  }
  return *parsed;
}

std::string Fields::size_unit_hint(std::string_view key) const {
  const RawValue* value = raw(key);
  if (!value || value->kind != RawValue::Kind::integer || value->integer <= 0 || value->integer >= (1 << 20)) return "";
  return fmt::format("; an integer is a number of bytes: did you mean \"{}M\"?", value->integer);
}

std::optional<Duration> Fields::duration(std::string_view key) const {
  auto value = text(key);
  if (!value) return std::nullopt;
  auto parsed = Duration::parse(*value);
  if (!parsed) {
    error(key, fmt::format("{}: {}", owner_, parsed.error().message));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::string> Fields::nonempty(std::string_view key) const {
  auto value = text(key);
  if (value && value->empty()) {
    error(key, fmt::format("{}: '{}' must not be empty", owner_, key));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Fields::path(std::string_view key) const {
  auto value = nonempty(key);
  if (!value) return std::nullopt;
  return ctx_.resolve(*value);
}

std::optional<DeviceId> Fields::ref(std::string_view key, std::initializer_list<std::string_view> kinds) const {
  auto value = text(key);
  if (!value) return std::nullopt;
  auto id = DeviceId::parse(*value);
  // A reference may name a vmforge-reserved id only if such an id could exist; none can be
  // referenced by users, so the reserved-prefix message is the right one here too.
  if (!id) {
    error(key, fmt::format("{}: '{}' is not a valid reference: {}", owner_, key, id.error().message));
    return std::nullopt;
  }
  ctx_.expect_ref(PendingRef{*id, std::vector<std::string_view>(kinds), loc(key), owner_, std::string(key)});
  return *id;
}

std::vector<std::string> Fields::texts(std::string_view key) const {
  return array_items(raw(key), RawValue::Kind::string, &RawValue::text);
}

std::vector<std::int64_t> Fields::integers(std::string_view key) const {
  return array_items(raw(key), RawValue::Kind::integer, &RawValue::integer);
}

void for_each_table(const RawValue& root, std::string_view key, ValidateContext& ctx,
                    const std::function<void(Fields&)>& fn) {
  const RawEntry* entry = root.find(key);
  if (!entry || entry->value.kind != RawValue::Kind::array) return;
  for (const RawValue& item : entry->value.items) {
    if (item.kind != RawValue::Kind::table) continue;
    Fields fields(&item, key, fmt::format("[[{}]]", key), ctx);
    fn(fields);
  }
}

Fields single_table(const RawValue& root, std::string_view key, ValidateContext& ctx) {
  const RawEntry* entry = root.find(key);
  const RawValue* table = entry && entry->value.kind == RawValue::Kind::table ? &entry->value : nullptr;
  return Fields(table, key, fmt::format("[{}]", key), ctx, SourceLoc{root.loc.path, 0, 0});
}

DeviceId read_device_id(Fields& fields, std::string_view kind, Vm& vm) {
  if (!fields.require("id")) return DeviceId();
  auto text = fields.text("id");
  if (!text) return DeviceId();
  auto id = DeviceId::parse(*text);
  if (!id) {
    fields.error("id", fmt::format("{}: {}", fields.owner(), id.error().message));
    return DeviceId();
  }
  fields.set_owner(fmt::format("{} '{}'", kind, id->str()));
  vm.origins.emplace(id->str(), fields.loc());
  return *id;
}

void register_device_ids(const RawValue& root, ValidateContext& ctx) {
  struct Found {
    DeviceId id;
    std::string_view kind;
    SourceLoc loc;
  };
  std::vector<Found> found;
  for (const RawEntry& entry : root.entries) {
    const TableSpec* spec = find_table_spec(entry.key);
    if (!spec || !spec->find("id") || entry.value.kind != RawValue::Kind::array) continue;
    for (const RawValue& item : entry.value.items) {
      const RawEntry* id = item.kind == RawValue::Kind::table ? item.find("id") : nullptr;
      if (!id || id->value.kind != RawValue::Kind::string) continue;
      if (auto parsed = DeviceId::parse(id->value.text)) found.push_back({*parsed, spec->name, id->value.loc});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.loc.line, a.loc.column) < std::tie(b.loc.line, b.loc.column);
  });
  for (const Found& f : found) ctx.register_id(f.id, f.kind, f.loc);
}

bool is_name_text(std::string_view text, std::string_view extra) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace vmforge
