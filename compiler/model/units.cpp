// Parsing and printing of the model's strong value types.
#include "compiler/model/units.hpp"

#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace vmforge {

namespace {

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Parses all of `text` as an unsigned number in `base`; nullopt on junk, emptiness or overflow.
std::optional<std::uint64_t> parse_unsigned(std::string_view text, int base) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// Hex number with an optional 0x prefix, at most `max`.
std::optional<std::uint64_t> parse_hex_field(std::string_view text, std::uint64_t max) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty() || text.size() > 8) return std::nullopt;
  auto value = parse_unsigned(text, 16);
  if (!value || *value > max) return std::nullopt;
  return value;
}

Error err(std::string message) { return Error(std::move(message)); }

}  // namespace

Result<DeviceId> DeviceId::parse(std::string_view text) {
  if (text.empty()) return unexpected(err("id must not be empty"));
  if (!is_alpha(text[0])) {
    return unexpected(err(fmt::format("id '{}' must start with a letter", text)));
  }
  for (char c : text) {
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-') {
      return unexpected(err(fmt::format("id '{}' may only contain letters, digits, '_' and '-'", text)));
    }
  }
  if (text.size() > kMaxLength) {
    return unexpected(err(fmt::format("id '{}' is longer than {} characters", text, kMaxLength)));
  }
  if (text.substr(0, kReservedPrefix.size()) == kReservedPrefix) {
    return unexpected(
        err(fmt::format("id '{}' uses the prefix '{}', which is reserved for vmforge", text, kReservedPrefix)));
  }
  return DeviceId(std::string(text));
}

namespace {

struct Unit {
  std::string_view suffix;
  unsigned shift;
};
constexpr Unit kSizeUnits[] = {{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}};

}  // namespace

Result<ByteSize> ByteSize::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a size: use a number of bytes or a number with K, M, G or T "
                                      "(e.g. '512M')",
                                      text)));
  };
  std::size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits])) ++digits;
  if (digits == 0) return bad();
  auto number = parse_unsigned(text.substr(0, digits), 10);
  if (!number) return unexpected(err(fmt::format("size '{}' is too large", text)));
  std::string_view suffix = text.substr(digits);
  if (suffix == "B" || suffix == "b") suffix = {};
  unsigned shift = 0;
  if (!suffix.empty()) {
    char unit = static_cast<char>(suffix[0] >= 'a' ? suffix[0] - ('a' - 'A') : suffix[0]);
    std::string_view rest = suffix.substr(1);
    if (!rest.empty() && rest != "iB" && rest != "B") return bad();
    bool found = false;
    for (const Unit& u : kSizeUnits) {
      if (u.suffix[0] == unit) {
        shift = u.shift;
        found = true;
      }
    }
    if (!found) return bad();
  }
  if (shift > 0 && *number > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return unexpected(err(fmt::format("size '{}' is too large", text)));
  }
  return ByteSize(*number << shift);
}

std::string ByteSize::to_string() const {
  if (bytes_ != 0) {
    for (const Unit& u : kSizeUnits) {
      std::uint64_t mask = (std::uint64_t{1} << u.shift) - 1;
      if ((bytes_ & mask) == 0) return fmt::format("{}{}", bytes_ >> u.shift, u.suffix);
    }
  }
  return fmt::format("{}", bytes_);
}

Result<Duration> Duration::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a duration: use a number with ms, s, m or h (e.g. '30s')", text)));
  };
  std::size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits])) ++digits;
  if (digits == 0 || digits == text.size()) return bad();
  auto number = parse_unsigned(text.substr(0, digits), 10);
  std::string_view unit = text.substr(digits);
  std::uint64_t factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m" || unit == "min") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else return bad();
  // A day of milliseconds is far beyond any sensible timeout; a cap keeps the arithmetic safe.
  constexpr std::uint64_t kMaxMs = 7ull * 24 * 3'600'000;
  if (!number || *number > kMaxMs / factor) {
    return unexpected(err(fmt::format("duration '{}' is longer than a week", text)));
  }
  return Duration(std::chrono::milliseconds(static_cast<std::int64_t>(*number * factor)));
}

std::string Duration::to_string() const {
  auto ms = ms_.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

Result<MacAddr> MacAddr::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a MAC address: use six hex pairs like '52:54:00:12:34:56'", text)));
  };
  if (text.size() != 17) return bad();
  Bytes bytes{};
  for (std::size_t i = 0; i < 6; ++i) {
    int hi = hex_value(text[i * 3]);
    int lo = hex_value(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return bad();
    if (i < 5 && text[i * 3 + 2] != ':') return bad();
    bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  if (bytes[0] & 1) {
    return unexpected(err(fmt::format("MAC address '{}' is a multicast address; the first byte must be even", text)));
  }
  return MacAddr(bytes);
}

std::string MacAddr::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes_[0], bytes_[1], bytes_[2], bytes_[3], bytes_[4],
                     bytes_[5]);
}

Result<PciAddress> PciAddress::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a PCI address: use SLOT or SLOT.FUNCTION in hex, slot 0-0x1f, "
                                      "function 0-7 (e.g. '0x5' or '0x5.0x1')",
                                      text)));
  };
  std::string_view slot_text = text;
  std::string_view fn_text;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    slot_text = text.substr(0, dot);
    fn_text = text.substr(dot + 1);
    if (fn_text.empty()) return bad();
  }
  auto slot = parse_hex_field(slot_text, 0x1f);
  if (!slot) return bad();
  std::uint64_t function = 0;
  if (!fn_text.empty()) {
    auto fn = parse_hex_field(fn_text, 7);
    if (!fn) return bad();
    function = *fn;
  }
  return PciAddress(static_cast<std::uint8_t>(*slot), static_cast<std::uint8_t>(function));
}

std::string PciAddress::to_string() const { return fmt::format("0x{:02x}.0x{:x}", slot_, function_); }

Result<HostPciAddress> HostPciAddress::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a host PCI address: use [DOMAIN:]BUS:SLOT.FUNCTION in hex "
                                      "(e.g. '0000:02:00.0')",
                                      text)));
  };
  std::uint64_t domain = 0;
  std::string_view rest = text;
  auto first = rest.find(':');
  if (first == std::string_view::npos) return bad();
  auto second = rest.find(':', first + 1);
  if (second != std::string_view::npos) {
    if (first != 4) return bad();
    auto d = parse_unsigned(rest.substr(0, first), 16);
    if (!d) return bad();
    domain = *d;
    rest = rest.substr(first + 1);
    first = rest.find(':');
  }
  auto dot = rest.find('.');
  if (first != 2 || dot != 5 || rest.size() != 7) return bad();
  auto bus = parse_unsigned(rest.substr(0, 2), 16);
  auto slot = parse_unsigned(rest.substr(3, 2), 16);
  auto fn = parse_unsigned(rest.substr(6, 1), 16);
  if (!bus || !slot || !fn || *slot > 0x1f || *fn > 7) return bad();
  return HostPciAddress(static_cast<std::uint16_t>(domain), static_cast<std::uint8_t>(*bus),
                        static_cast<std::uint8_t>(*slot), static_cast<std::uint8_t>(*fn));
}

std::string HostPciAddress::to_string() const {
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain_, bus_, slot_, function_);
}

Result<Uuid> Uuid::parse(std::string_view text) {
  auto bad = [&] {
    return unexpected(err(fmt::format("'{}' is not a UUID: use the form "
                                      "'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' with hex digits",
                                      text)));
  };
  if (text.size() != 36) return bad();
  Bytes bytes{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return bad();
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return bad();
    bytes[out++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return Uuid(bytes);
}

std::string Uuid::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes_[i]);
  }
  return out;
}

}  // namespace vmforge
