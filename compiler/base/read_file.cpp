#include "compiler/base/read_file.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge {

namespace {

std::string_view kind_of(mode_t mode) {
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Error too_large(std::string_view name, std::size_t max_bytes) {
  return Error(fmt::format("Failed to read {}: it is larger than {} MiB, the most vmforge reads from such a file", name,
                           max_bytes >> 20),
               EFBIG);
}

Error not_a_file(std::string_view name, std::string_view kind) {
  return Error(fmt::format("Failed to read {}: it is {}, not a regular file or a pipe", name, kind), EINVAL);
}

}  // namespace

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  const std::string name = fmt::format("'{}'", path);
  // Devices are refused before open(): opening one can have effects (a watchdog starts ticking).
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    return unexpected(not_a_file(name, kind_of(st.st_mode)));
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer; what it is is decided by fstat.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return unexpected(errno_error(fmt::format("Failed to open '{}'", path)));
  if (fstat(fd.get(), &st) < 0) return unexpected(errno_error(fmt::format("Failed to read {}", name)));
  if (S_ISDIR(st.st_mode)) return unexpected(errno_error(fmt::format("Failed to read {}", name), EISDIR));
  if (S_ISFIFO(st.st_mode)) {
    // `<(...)` names an anonymous pipe (its inode lives on pipefs): read it. A named FIFO
    // would read as empty, or wait for a writer forever.
    struct statfs fs {};
    if (fstatfs(fd.get(), &fs) < 0 || fs.f_type != PIPEFS_MAGIC) {
      return unexpected(not_a_file(name, "a named FIFO"));
    }
    if (fcntl(fd.get(), F_SETFL, 0) < 0) return unexpected(errno_error(fmt::format("Failed to read {}", name)));
  } else if (!S_ISREG(st.st_mode)) {
    return unexpected(not_a_file(name, kind_of(st.st_mode)));
  } else if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return unexpected(too_large(name, max_bytes));
  }
  return read_fd(fd.get(), name, max_bytes);
}

Result<std::string> read_fd(int fd, std::string_view name, std::size_t max_bytes) {
  // A pipe (`vmforge check <(...)`) cannot seek: it is read from where it is.
  if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE) {
    return unexpected(errno_error(fmt::format("Failed to read {}", name)));
  }
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(errno_error(fmt::format("Failed to read {}", name)));
    if (n == 0) return content;
    // Checked as it grows: a pipe or a file still being written has no size to check first.
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) return unexpected(too_large(name, max_bytes));
    content.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace vmforge
