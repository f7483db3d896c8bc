// GuestIo: commands over a unix socket, answers from the serial report.
#include "tests/support/guest_io.hpp"

#include <errno.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"

namespace vmforge::test {
namespace {

constexpr std::size_t kBlock = 4096;

std::optional<std::uint64_t> to_uint(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// Tags unique within the test process, so an answer of an earlier GuestIo is never taken.
std::string next_tag() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(++counter);
}

}  // namespace

Result<IoAnswer> parse_io_answer(std::string_view value) {
  if (value.starts_with("error ")) return unexpected(Error(fmt::format("the guest says: {}", value.substr(6))));
  if (!value.starts_with("ok ")) return unexpected(Error(fmt::format("not an answer: '{}'", value)));
  IoAnswer answer;
  answer.dev = report_field(value, "dev").value_or("");
  auto blocks = to_uint(report_field(value, "blocks").value_or(""));
  auto ms = to_uint(report_field(value, "ms").value_or(""));
  answer.sum = report_field(value, "sum").value_or("");
  answer.pattern = report_field(value, "pattern").value_or("");
  if (answer.dev.empty() || !blocks || !ms || answer.sum.size() != 16)
    return unexpected(Error(fmt::format("malformed answer: '{}'", value)));
  answer.blocks = *blocks;
  answer.ms = *ms;
  return answer;
}

std::string pattern_block(std::string_view word) {
  std::string block(kBlock, '\n');
  const std::size_t unit = word.size() + 1;
  for (std::size_t i = 0; i < kBlock; ++i)
    if (i % unit != word.size()) block[i] = word[i % unit];
  return block;
}

std::string pattern_sum(std::string_view word, std::uint64_t blocks) {
  const std::string block = pattern_block(word);
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::uint64_t b = 0; b < blocks; ++b)
    for (unsigned char c : block) hash = (hash ^ c) * 0x100000001b3ULL;
  return fmt::format("{:016x}", hash);
}

Result<std::string> guest_cmd_socket(const TempDir& dir) {
  const std::string sub = dir.file("cmd");
  if (::chmod(dir.path().c_str(), 0711) != 0) return unexpected(errno_error("Failed to make the test dir searchable"));
  if (::mkdir(sub.c_str(), 0700) != 0) return unexpected(errno_error(fmt::format("Failed to create '{}'", sub)));
  if (const passwd* qemu = ::getpwnam("vmforge-qemu"); qemu && ::chown(sub.c_str(), qemu->pw_uid, qemu->pw_gid) != 0)
    return unexpected(errno_error(fmt::format("Failed to give '{}' to vmforge-qemu", sub)));
  return sub + "/cmd.sock";
}

std::string guest_cmd_port_toml(std::string_view socket, std::string_view controller) {
  return fmt::format("[[serial]]\nid = \"cmd\"\nbackend = \"socket\"\npath = \"{}\"\nfrontend = \"virtserialport\"\n"
                     "controller = \"{}\"\nname = \"{}\"\n",
                     socket, controller, kGuestCmdPort);
}

Result<GuestIo> GuestIo::connect(const std::string& socket, SerialReport& report) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof addr.sun_path)
    return unexpected(Error(fmt::format("socket path too long: '{}'", socket)));
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return unexpected(errno_error("Failed to create a unix socket"));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return unexpected(errno_error(fmt::format("Failed to connect to the guest's command port at '{}'", socket)));
  return GuestIo(std::move(fd), report);
}

Result<std::string> GuestIo::send(std::string_view command) {
  std::string tag = next_tag();
  const std::string line = fmt::format("{} {}\n", tag, command);
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(errno_error(fmt::format("Failed to send '{}' to the guest", command)));
    done += static_cast<std::size_t>(n);
  }
  return tag;
}

Result<IoAnswer> GuestIo::wait(std::string_view tag, std::chrono::milliseconds timeout) {
  const std::string key = fmt::format("io.{}", tag);
  auto any = [](std::string_view) { return true; };
  VMFORGE_TRY(ReportValues values, report_->wait_for_key(key, any, timeout));
  return parse_io_answer(values[key]);
}

Result<IoAnswer> GuestIo::run(std::string_view command, std::chrono::milliseconds timeout) {
  VMFORGE_TRY(std::string tag, send(command));
  return wait(tag, timeout);
}

Result<IoAnswer> GuestIo::write(std::string_view serial, std::uint64_t offset, std::string_view word,
                                std::uint64_t blocks, std::chrono::milliseconds timeout) {
  return run(fmt::format("write {} {} {} {}", serial, offset, word, blocks), timeout);
}

Result<IoAnswer> GuestIo::read(std::string_view serial, std::uint64_t offset, std::uint64_t blocks,
                               std::chrono::milliseconds timeout) {
  return run(fmt::format("read {} {} {}", serial, offset, blocks), timeout);
}

}  // namespace vmforge::test
