// The per-VM supervisor lock.
#include "supervisor/core/vm_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"

namespace vmforge::supervisor {
namespace {

pid_t read_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  return static_cast<pid_t>(std::strtol(buf, nullptr, 10));
}

// A line of /proc/locks ("1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF") as the flock it
// names, when it is one that is held (not waited for: "1: -> FLOCK ..."). The device is not
// kept: on overlayfs stat() and /proc/locks may name different ones.
std::optional<std::pair<pid_t, ino_t>> held_flock(std::string_view line) {
  std::string_view fields[6];
  size_t count = 0;
  while (count < 6 && !line.empty()) {
    size_t start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    size_t end = std::min(line.find(' '), line.size());
    fields[count++] = line.substr(0, end);
    line.remove_prefix(end);
  }
  size_t colon = count == 6 ? fields[5].rfind(':') : std::string_view::npos;
  if (count < 6 || fields[1] != "FLOCK" || colon == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view text) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  auto pid = number(fields[4]);
  auto ino = number(fields[5].substr(colon + 1));
  if (!pid || !ino) return std::nullopt;
  return std::pair{static_cast<pid_t>(*pid), static_cast<ino_t>(*ino)};
}

}  // namespace

FlockTable FlockTable::read() {
  FlockTable table;
  auto locks = read_file("/proc/locks");
  if (!locks) return table;
  std::string_view rest = *locks;
  while (!rest.empty()) {
    size_t nl = std::min(rest.find('\n'), rest.size());
    if (auto held = held_flock(rest.substr(0, nl))) table.held_.insert(*held);
    rest.remove_prefix(std::min(nl + 1, rest.size()));
  }
  return table;
}

std::optional<pid_t> FlockTable::holder(const std::string& path) const {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (!fd || fstat(fd.get(), &st) < 0) return std::nullopt;
  pid_t pid = read_pid(fd.get());
  if (pid <= 0 || !held_.count({pid, st.st_ino})) return std::nullopt;
  return pid;
}

std::optional<pid_t> lock_holder(const std::string& path) { return FlockTable::read().holder(path); }

Result<VmLock> VmLock::acquire(const std::string& path, std::string_view vm_name) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return unexpected(errno_error(fmt::format("Failed to open lock file '{}'", path)));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) {
      return unexpected(errno_error(fmt::format("Failed to lock '{}'", path)));
    }
    return unexpected(Error(fmt::format("VM '{}' is already running under supervisor PID {}; "
                                        "stop it first with 'vmforge stop {}'.",
                                        vm_name, read_pid(fd.get()), vm_name),
                            EBUSY));
  }
  // Overwritten in place, cut only when the old content was longer: truncating a file that has
  // blocks costs a journal transaction on ext4 (0.3 ms, on the path to QEMU's spawn).
  std::string pid = fmt::format("{}\n", getpid());
  struct stat st;
  if (pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()) || fstat(fd.get(), &st) < 0 ||
      (st.st_size > static_cast<off_t>(pid.size()) && ftruncate(fd.get(), static_cast<off_t>(pid.size())) < 0)) {
    return unexpected(errno_error(fmt::format("Failed to write lock file '{}'", path)));
  }
  return VmLock(std::move(fd));
}

}  // namespace vmforge::supervisor
