// Reading and writing the QEMU pidfile.
#include "supervisor/core/pidfile.hpp"

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

// Not durable: it is written while QEMU starts, and a power loss makes it stale anyway (an
// adopting supervisor checks the PID before trusting it).
Result<void> write_pidfile(const std::string& path, pid_t pid) {
  return write_file_atomic(path, fmt::format("{}\n", pid), 0644, Durability::visible);
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
