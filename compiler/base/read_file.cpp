#include "compiler/base/read_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return unexpected(errno_error(fmt::format("Failed to open '{}'", path)));
  return read_fd(fd.get(), fmt::format("'{}'", path));
}

Result<std::string> read_fd(int fd, std::string_view name) {
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
    content.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace vmforge
