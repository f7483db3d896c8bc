// The launcher-to-supervisor handoff text.
#include "supervisor/core/handoff.hpp"

#include <fcntl.h>

#include <cerrno>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace vmforge::supervisor {
namespace {

// The next positive number of `text` and the ':' after it, consumed; nullopt if there are none.
std::optional<long> take_number(std::string_view& text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value <= 0 || end == text.data() + text.size() || *end != ':') return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()) + 1);
  return value;
}

}  // namespace

std::string format_handoff(pid_t qemu_pid, int lock_fd, int manifest_fd, std::string_view cpus) {
  return fmt::format("{}:{}:{}:{}", qemu_pid, lock_fd, manifest_fd, cpus);
}

Result<Handoff> parse_handoff(std::string_view text) {
  std::string_view rest = text;
  auto pid = take_number(rest);
  auto lock = take_number(rest);
  auto manifest = take_number(rest);
  if (!pid || !lock || !manifest) {
    return unexpected(Error(fmt::format("Invalid handoff '{}': expected PID:LOCK_FD:MANIFEST_FD:CPUS", text), EINVAL));
  }
  if (*lock == *manifest) {
    return unexpected(Error(fmt::format("Invalid handoff '{}': the lock and the manifest share fd {}", text, *lock), EINVAL));
  }
  for (long fd : {*lock, *manifest}) {
    if (fd < 3 || fd > 1 << 20 || fcntl(static_cast<int>(fd), F_GETFD) < 0) {
      return unexpected(Error(fmt::format("Invalid handoff '{}': fd {} is not an open fd above 2", text, fd), EBADF));
    }
  }
  Handoff handoff;
  handoff.qemu_pid = static_cast<pid_t>(*pid);
  handoff.lock = UniqueFd(static_cast<int>(*lock));
  handoff.manifest = UniqueFd(static_cast<int>(*manifest));
  handoff.cpus = std::string(rest);
  return handoff;
}

}  // namespace vmforge::supervisor
