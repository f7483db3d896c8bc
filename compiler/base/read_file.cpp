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
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(content.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(errno_error(fmt::format("Failed to read {}", name)));
    if (n == 0) return content;
    content.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace vmforge
