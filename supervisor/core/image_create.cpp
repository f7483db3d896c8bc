// Image creation: ftruncate for raw (sparse), qemu-img for qcow2, then link() into place.
#include "supervisor/core/image_create.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string_view>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/json_value.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/launch/process.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::chrono::seconds kQemuImgTimeout{60};

// Removes the temporary image unless it was linked into place.
class TempImage {
 public:
  explicit TempImage(std::string path) : path_(std::move(path)) {}
  TempImage(const TempImage&) = delete;
  TempImage& operator=(const TempImage&) = delete;
  ~TempImage() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<std::uint64_t> base_size(const ImageCreate& create) {
  // -U: the base may be open in a running VM.
  VMFORGE_TRY(std::string out,
              launch::run({"qemu-img", "info", "-U", "--output=json", "-f", create.backing_format, create.backing_file},
                          kQemuImgTimeout));
  auto info = parse_json(out);
  auto size = info ? info->get_uint64("virtual-size") : std::nullopt;
  if (!size) {
    return unexpected(
        Error(fmt::format("'qemu-img info' of backing image '{}' shows no virtual size", create.backing_file)));
  }
  return *size;
}

Result<void> make(const TempImage& temp, int fd, const ImageCreate& create, std::uint64_t size) {
  if (create.format == "raw") {
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) return unexpected(errno_error("Failed to set the size"));
    return {};
  }
  std::vector<std::string> argv{"qemu-img", "create", "-q", "-f", create.format};
  if (!create.backing_file.empty()) {
    for (std::string_view arg : {"-u", "-b"}) argv.emplace_back(arg);
    argv.push_back(create.backing_file);
    argv.emplace_back("-F");
    argv.push_back(create.backing_format);
  }
  argv.push_back(temp.path());
  argv.push_back(std::to_string(size));
  VMFORGE_TRY_VOID(launch::run(std::move(argv), kQemuImgTimeout));
  return {};
}

}  // namespace

Result<void> create_image_if_missing(const std::string& path, const ImageCreate& create) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) return {};
  if (errno != ENOENT) return unexpected(errno_error(fmt::format("Failed to check whether image '{}' exists", path)));
  auto failed = [&](const Error& why) {
    return unexpected(
        Error(fmt::format("Failed to create image '{}' ({}): {}", path, create.format, why.message), why.errno_value));
  };
  std::uint64_t size = 0;
  if (create.size) {
    size = *create.size;
  } else {
    auto base = base_size(create);
    if (!base) return failed(base.error());
    size = *base;
  }
  const auto slash = path.rfind('/');
  std::string pattern = path.substr(0, slash + 1) + '.' + path.substr(slash + 1) + ".vmforge-XXXXXX";
  UniqueFd fd(mkostemp(pattern.data(), O_CLOEXEC));  // mode 0600
  if (!fd) return failed(errno_error("cannot make a temporary file next to it"));
  TempImage temp(std::move(pattern));
  if (auto made = make(temp, fd.get(), create, size); !made) return failed(made.error());
  if (fsync(fd.get()) != 0) return failed(errno_error("fsync"));
  // link() never replaces: if another creator was first, its image stays and ours goes.
  if (link(temp.path().c_str(), path.c_str()) != 0 && errno != EEXIST) return failed(errno_error("link"));
  return {};
}

}  // namespace vmforge::supervisor
