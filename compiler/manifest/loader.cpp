// The toml++ boundary: parse the manifest and copy it into a RawValue tree with positions.
// The one place toml++ is included and the one place its parse_error is caught.
#include "compiler/manifest/loader.hpp"

#include <algorithm>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include <toml++/toml.h>

#include "compiler/manifest/depth.hpp"

namespace vmforge {

namespace {

SourceLoc loc_of(const toml::source_region& region, std::string_view path) {
  return SourceLoc{std::string(path), region.begin.line, region.begin.column};
}

template <class T>
std::string stream_text(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

RawValue convert(const toml::node& node, std::string_view path);

RawValue convert_table(const toml::table& table, std::string_view path) {
  RawValue out;
  out.kind = RawValue::Kind::table;
  out.loc = loc_of(table.source(), path);
  for (auto&& [key, value] : table) {
    out.entries.push_back(RawEntry{std::string(key.str()), loc_of(key.source(), path), convert(value, path)});
  }
  // toml++ iterates in key order; diagnostics and "first wins" rules want file order.
  std::stable_sort(out.entries.begin(), out.entries.end(), [](const RawEntry& a, const RawEntry& b) {
    return std::tie(a.key_loc.line, a.key_loc.column) < std::tie(b.key_loc.line, b.key_loc.column);
  });
  return out;
}

RawValue convert(const toml::node& node, std::string_view path) {
  if (const toml::table* table = node.as_table()) return convert_table(*table, path);
  RawValue out;
  out.loc = loc_of(node.source(), path);
  switch (node.type()) {
    case toml::node_type::array:
      out.kind = RawValue::Kind::array;
      for (const toml::node& item : *node.as_array()) out.items.push_back(convert(item, path));
      break;
    case toml::node_type::string:
      out.kind = RawValue::Kind::string;
      out.text = node.as_string()->get();
      break;
    case toml::node_type::integer:
      out.kind = RawValue::Kind::integer;
      out.integer = node.as_integer()->get();
      break;
    case toml::node_type::floating_point:
      out.kind = RawValue::Kind::floating;
      out.floating = node.as_floating_point()->get();
      break;
    case toml::node_type::boolean:
      out.kind = RawValue::Kind::boolean;
      out.boolean = node.as_boolean()->get();
      break;
    case toml::node_type::date:
      out.kind = RawValue::Kind::datetime;
      out.text = stream_text(node.as_date()->get());
      break;
    case toml::node_type::time:
      out.kind = RawValue::Kind::datetime;
      out.text = stream_text(node.as_time()->get());
      break;
    case toml::node_type::date_time:
      out.kind = RawValue::Kind::datetime;
      out.text = stream_text(node.as_date_time()->get());
      break;
    case toml::node_type::table:
    case toml::node_type::none: break;
  }
  return out;
}

}  // namespace

Result<RawValue, Diagnostics> load_manifest(std::string_view text, std::string_view path) {
  // Before toml++: it recurses once per level of nesting itself (see manifest/depth.hpp), and
  // so does convert() below.
  if (auto deep = find_too_deep(text, kMaxManifestDepth)) {
    Diagnostics diags;
    diags.error(SourceLoc{std::string(path), deep->line, deep->column},
                fmt::format("the manifest nests tables, arrays or dotted keys more than {} levels deep here; "
                            "vmforge reads no deeper (a manifest needs about 5)",
                            kMaxManifestDepth));
    return unexpected(std::move(diags));
  }
  try {
    toml::table table = toml::parse(text, path);
    return convert_table(table, path);
  } catch (const toml::parse_error& error) {
    Diagnostics diags;
    diags.error(loc_of(error.source(), path), std::string(error.description()));
    return unexpected(std::move(diags));
  }
}

}  // namespace vmforge
