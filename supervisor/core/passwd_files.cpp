// Scanning passwd(5) and group(5) text by hand.
#include "supervisor/core/passwd_files.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace vmforge::supervisor {
namespace {

// Splits `line` at ':' into exactly `count` fields; false when it has more or fewer.
template <std::size_t count>
bool split_fields(std::string_view line, std::array<std::string_view, count>& fields) {
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t colon = line.find(':');
    bool last = i + 1 == count;
    if (last != (colon == std::string_view::npos)) return false;
    fields[i] = line.substr(0, colon);
    line.remove_prefix(last ? line.size() : colon + 1);
  }
  return true;
}

// Calls `entry` with the fields of each line that has exactly `count` of them, leading blanks
// dropped, until it returns true. Blank and '#' lines are no entries.
template <std::size_t count, class Entry>
void for_each_entry(std::string_view text, Entry entry) {
  std::array<std::string_view, count> fields;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    if (split_fields(line.substr(start), fields) && entry(fields)) return;
  }
}

std::optional<std::uint32_t> id(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<PasswdUser> find_passwd_user(std::string_view passwd, std::string_view name) {
  std::optional<PasswdUser> found;
  for_each_entry<7>(passwd, [&](const auto& f) {
    auto uid = id(f[2]);
    auto gid = id(f[3]);
    if (f[0] != name || !uid || !gid) return false;
    found = PasswdUser{*uid, *gid};
    return true;
  });
  return found;
}

std::vector<gid_t> member_gids(std::string_view group, std::string_view name) {
  std::vector<gid_t> gids;
  for_each_entry<4>(group, [&](const auto& f) {
    auto gid = id(f[2]);
    if (!gid) return false;
    for (std::string_view members = f[3]; !members.empty();) {
      std::size_t comma = members.find(',');
      if (members.substr(0, comma) == name) {
        gids.push_back(*gid);
        break;
      }
      members.remove_prefix(comma == std::string_view::npos ? members.size() : comma + 1);
    }
    return false;
  });
  return gids;
}

}  // namespace vmforge::supervisor
