// Strong value types of the model: ids, sizes, durations, MAC/PCI addresses, UUIDs.
// Each has a parser that returns a user-facing error message and a canonical text form.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge {

/// A user-visible device/object id: `[A-Za-z][A-Za-z0-9_-]*`, at most 24 characters. Ids the
/// compiler derives for QEMU (block nodes, netdevs, chardevs) append a `.`-suffix to it, which
/// no user id can contain, so derived names never collide with user ids.
class DeviceId {
 public:
  static constexpr std::size_t kMaxLength = 24;
  /// Prefix reserved for ids vmforge itself creates (`vmforge-qmp`, `vmforge-seed`, ...).
  static constexpr std::string_view kReservedPrefix = "vmforge";

  DeviceId() = default;
  /// Trusts `text` (used for ids the compiler synthesises); user input goes through parse().
  explicit DeviceId(std::string text) : text_(std::move(text)) {}
  /// For the model's constant ids, so a model struct can be built at compile time.
  constexpr explicit DeviceId(const char* text) : text_(text) {}

  /// Checks charset, length and the reserved prefix; the error message is a full sentence
  /// fragment like "id 'a.b' may only contain letters, digits, '_' and '-'".
  static Result<DeviceId> parse(std::string_view text);

  const std::string& str() const { return text_; }
  /// `id` + "." + suffix: the name of a QEMU backend that belongs to this device.
  std::string derived(std::string_view suffix) const { return text_ + "." + std::string(suffix); }

  friend auto operator<=>(const DeviceId&, const DeviceId&) = default;
  friend bool operator==(const DeviceId&, const DeviceId&) = default;

 private:
  std::string text_;
};

/// A size in bytes. Text form: an integer with an optional suffix K, M, G, T (powers of 1024,
/// an optional trailing "iB"/"B" accepted: "512M", "2GiB", "4096").
class ByteSize {
 public:
  constexpr ByteSize() = default;
  constexpr explicit ByteSize(std::uint64_t bytes) : bytes_(bytes) {}

  static Result<ByteSize> parse(std::string_view text);

  constexpr std::uint64_t bytes() const { return bytes_; }
  /// Largest exact unit: 536870912 -> "512M", 1000 -> "1000".
  std::string to_string() const;

  friend constexpr auto operator<=>(const ByteSize&, const ByteSize&) = default;

 private:
  std::uint64_t bytes_ = 0;
};

/// A duration with millisecond resolution. Text form: integer + "ms" | "s" | "m" | "h" ("30s").
class Duration {
 public:
  constexpr Duration() = default;
  constexpr explicit Duration(std::chrono::milliseconds ms) : ms_(ms) {}

  static Result<Duration> parse(std::string_view text);

  constexpr std::chrono::milliseconds ms() const { return ms_; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const Duration&, const Duration&) = default;

 private:
  std::chrono::milliseconds ms_{0};
};

/// An Ethernet address; text form "52:54:00:12:34:56" (lower case).
class MacAddr {
 public:
  using Bytes = std::array<std::uint8_t, 6>;
  constexpr MacAddr() = default;
  constexpr explicit MacAddr(Bytes bytes) : bytes_(bytes) {}

  /// Six ':'-separated pairs of hex digits. Multicast addresses are rejected (QEMU refuses them).
  static Result<MacAddr> parse(std::string_view text);

  const Bytes& bytes() const { return bytes_; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const MacAddr&, const MacAddr&) = default;

 private:
  Bytes bytes_{};
};

/// A guest PCI device address on its bus: slot 0-31, function 0-7. Text forms accepted:
/// "0x5", "5", "0x5.0x1", "05.1"; canonical form "0x05.0x1" (QEMU reads it the same way on the
/// command line and over QMP, see qemu-facts §1.2).
class PciAddress {
 public:
  constexpr PciAddress() = default;
  constexpr PciAddress(std::uint8_t slot, std::uint8_t function) : slot_(slot), function_(function) {}

  static Result<PciAddress> parse(std::string_view text);

  constexpr std::uint8_t slot() const { return slot_; }
  constexpr std::uint8_t function() const { return function_; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const PciAddress&, const PciAddress&) = default;

 private:
  std::uint8_t slot_ = 0;
  std::uint8_t function_ = 0;
};

/// A host PCI address (VFIO `host=`): "[DDDD:]BB:SS.F" in hex; canonical "0000:02:00.0".
class HostPciAddress {
 public:
  constexpr HostPciAddress() = default;
  constexpr HostPciAddress(std::uint16_t domain, std::uint8_t bus, std::uint8_t slot, std::uint8_t function)
      : domain_(domain), bus_(bus), slot_(slot), function_(function) {}

  static Result<HostPciAddress> parse(std::string_view text);

  constexpr std::uint16_t domain() const { return domain_; }
  constexpr std::uint8_t bus() const { return bus_; }
  constexpr std::uint8_t slot() const { return slot_; }
  constexpr std::uint8_t function() const { return function_; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const HostPciAddress&, const HostPciAddress&) = default;

 private:
  std::uint16_t domain_ = 0;
  std::uint8_t bus_ = 0;
  std::uint8_t slot_ = 0;
  std::uint8_t function_ = 0;
};

/// An RFC 4122 UUID; text form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case).
class Uuid {
 public:
  using Bytes = std::array<std::uint8_t, 16>;
  constexpr Uuid() = default;
  constexpr explicit Uuid(Bytes bytes) : bytes_(bytes) {}

  static Result<Uuid> parse(std::string_view text);

  const Bytes& bytes() const { return bytes_; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  Bytes bytes_{};
};

}  // namespace vmforge
