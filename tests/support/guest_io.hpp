// GuestIo: data on the test guest's disks through its command port `vmforge.cmd`
// (guest/README.md, "Commands"): write a pattern, read it back, each answer a report line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "tests/support/serial_report.hpp"
#include "tests/support/temp_dir.hpp"

namespace vmforge::test {

/// The port's name in the guest.
inline constexpr std::string_view kGuestCmdPort = "vmforge.cmd";

/// A command's answer, `io.<tag>=ok dev=vdb blocks=8 ms=3 sum=<hex> [pattern=<word>]`.
struct IoAnswer {
  std::string dev;  // the guest's device name, "vdb"
  std::uint64_t blocks = 0;
  std::uint64_t ms = 0;  // time the guest spent on the I/O
  std::string sum;       // FNV-1a 64 of the bytes, 16 hex digits
  std::string pattern;   // read: the word every block holds, ":mixed" if not one word throughout
};

/// Parses an answer's value; an "error ..." answer is an error with the guest's text.
Result<IoAnswer> parse_io_answer(std::string_view value);

/// The block the guest writes for `word`: the word and a newline, repeated over 4096 bytes.
std::string pattern_block(std::string_view word);
/// The `sum` the guest reports for `blocks` blocks of `word`.
std::string pattern_sum(std::string_view word, std::uint64_t blocks);

/// A path for the port's socket that QEMU can create when `vmforge run` makes it run as
/// vmforge-qemu (README, "Running VMs"): `dir/cmd/cmd.sock`, `cmd/` owned by that user (when it
/// exists) and `dir` made searchable (0711).
Result<std::string> guest_cmd_socket(const TempDir& dir);

/// `[[serial]]` TOML for the command port on [[virtio_serial]] `controller`, QEMU listening on
/// `socket`.
std::string guest_cmd_port_toml(std::string_view socket, std::string_view controller);

/// Connects to the host end of the port (a listening unix socket) and sends commands; the
/// answers are read from the guest's serial report. Offsets are bytes, multiples of 4096.
class GuestIo {
 public:
  static Result<GuestIo> connect(const std::string& socket, SerialReport& report);

  Result<IoAnswer> write(std::string_view serial, std::uint64_t offset, std::string_view word, std::uint64_t blocks,
                         std::chrono::milliseconds timeout);
  Result<IoAnswer> read(std::string_view serial, std::uint64_t offset, std::uint64_t blocks,
                        std::chrono::milliseconds timeout);

  /// Sends `command` ("write D1 0 A 8") under a new tag; returns the tag.
  Result<std::string> send(std::string_view command);
  /// Waits for the answer to `tag`.
  Result<IoAnswer> wait(std::string_view tag, std::chrono::milliseconds timeout);

 private:
  GuestIo(UniqueFd fd, SerialReport& report) : fd_(std::move(fd)), report_(&report) {}
  Result<IoAnswer> run(std::string_view command, std::chrono::milliseconds timeout);

  UniqueFd fd_;
  SerialReport* report_;
};

}  // namespace vmforge::test
