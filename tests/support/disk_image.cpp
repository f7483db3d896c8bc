// create_disk_image: runs qemu-img through the launcher, with its stderr in any error.
#include "tests/support/disk_image.hpp"

#include <chrono>

#include "supervisor/launch/process.hpp"

namespace vmforge::test {

Result<void> create_disk_image(const std::string& path, const std::string& format, std::uint64_t size_bytes) {
  VMFORGE_TRY_VOID(launch::run({"qemu-img", "create", "-q", "-f", format, path, std::to_string(size_bytes)},
                               std::chrono::seconds(30)));
  return {};
}

}  // namespace vmforge::test
