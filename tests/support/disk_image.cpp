// create_disk_image, image_info: qemu-img through the launcher, with its stderr in any error.
#include "tests/support/disk_image.hpp"

#include <chrono>

#include "supervisor/launch/process.hpp"

namespace vmforge::test {

Result<void> create_disk_image(const std::string& path, const std::string& format, std::uint64_t size_bytes) {
  VMFORGE_TRY_VOID(launch::run({"qemu-img", "create", "-q", "-f", format, path, std::to_string(size_bytes)},
                               std::chrono::seconds(30)));
  return {};
}

Result<JsonValue> image_info(const std::string& path, bool chain) {
  std::vector<std::string> argv{"qemu-img", "info", "-U", "--output=json"};
  if (chain) argv.emplace_back("--backing-chain");
  argv.push_back(path);
  VMFORGE_TRY(std::string out, launch::run(std::move(argv), std::chrono::seconds(30)));
  return parse_json(out);
}

}  // namespace vmforge::test
