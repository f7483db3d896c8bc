// Reading and writing the QEMU pidfile.
#include "supervisor/core/pidfile.hpp"

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

Result<void> write_pidfile(const std::string& path, pid_t pid) {
  return write_file_atomic(path, fmt::format("{}\n", pid), 0644);
}

Result<pid_t> read_pidfile(const std::string& path) {
  VMFORGE_TRY(std::string text, read_file(path));
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  bool rest_is_newline = end == text.data() + text.size() || std::string_view(end) == "\n";
  if (ec != std::errc() || pid <= 0 || !rest_is_newline) {
    return unexpected(Error(fmt::format("Pidfile '{}' does not hold a PID.", path), EBADMSG));
  }
  return pid;
}

}  // namespace vmforge::supervisor
