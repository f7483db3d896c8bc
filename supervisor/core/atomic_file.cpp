// write_file_atomic: temp file + fsync + rename + fsync of the directory (fsyncs when durable).
#include "supervisor/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::supervisor {
namespace {

Error fail(std::string_view what, const std::string& path) {
  return errno_error(fmt::format("Failed to {} '{}'", what, path));
}

Result<void> write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(fail("write", path));
    content.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> write_temporary(const std::string& tmp, std::string_view content, mode_t mode, Durability durability) {
  UniqueFd fd(mkostemp(const_cast<char*>(tmp.c_str()), O_CLOEXEC));
  if (!fd) return unexpected(fail("create temporary file", tmp));
  VMFORGE_TRY_VOID(write_all(fd.get(), content, tmp));
  if (fchmod(fd.get(), mode) < 0) return unexpected(fail("set the mode of", tmp));
  if (durability == Durability::durable && fsync(fd.get()) < 0) return unexpected(fail("sync", tmp));
  return {};
}

}  // namespace

Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode, Durability durability) {
  std::string tmp = path + ".XXXXXX";
  auto written = write_temporary(tmp, content, mode, durability);
  if (written && ::rename(tmp.c_str(), path.c_str()) < 0) written = unexpected(fail("rename", tmp));
  if (!written) {
    if (tmp.find("XXXXXX") == std::string::npos) (void)::unlink(tmp.c_str());
    return written;
  }
  if (durability == Durability::visible) return {};
  std::string dir = directory_of(path);
  UniqueFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd || fsync(dir_fd.get()) < 0) return unexpected(fail("sync directory", dir));
  return {};
}

}  // namespace vmforge::supervisor
