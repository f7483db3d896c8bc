// The handshake on a migration URI before QEMU's stream: the source's supervisor connects to
// the destination's (`run --incoming URI` listens there first), sends one line (a version, the
// VM's name, where its PCI devices sit now: PciPins), and reads one line back: ok, or a
// refusal with the reason. Only then does the destination's QEMU listen on URI, laid out like
// the source's, and the source sends QEMU's `migrate`. Pure: the wire format and its checks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/model/pci_pins.hpp"

namespace vmforge::supervisor {

inline constexpr unsigned kHandshakeVersion = 2;  // 2: the pins carry pc slots
/// The longest line either side reads (its "\n" included); anything longer is refused.
inline constexpr std::size_t kHandshakeMaxLine = 16384;

struct MigrationHello {
  unsigned version = kHandshakeVersion;
  std::string vm;
  PciPins pins;
};

/// One line, "\n" included.
std::string hello_line(const MigrationHello& hello);
/// A line read from a peer (without its "\n"); an Error says what is wrong with it.
Result<MigrationHello> parse_hello(std::string_view line);

/// The answer: ok when `refusal` is empty. One line, "\n" included.
std::string reply_line(std::string_view refusal);
/// The destination's answer: an Error with its refusal (EPERM), or with what is wrong with the line
/// (EPROTO).
Result<void> parse_reply(std::string_view line);

}  // namespace vmforge::supervisor
