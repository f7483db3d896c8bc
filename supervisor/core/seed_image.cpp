// Building a VM's cloud-init seed image at start-up.
#include "supervisor/core/seed_image.hpp"

#include <fcntl.h>

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/cloudinit/seed.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::supervisor {

Result<UniqueFd> build_seed(const Vm& vm, const StateDir& state) {
  const CloudInit& ci = *vm.cloud_init;
  cloudinit::SeedContent content;
  VMFORGE_TRY(content.user_data, read_file(ci.user_data));
  VMFORGE_TRY(content.meta_data, read_file(ci.meta_data));
  if (ci.network_config) {
    VMFORGE_TRY(std::string network, read_file(*ci.network_config));
    content.network_config = std::move(network);
  }
  VMFORGE_TRY(std::string image, cloudinit::build_seed_image(ci.format, content));
  std::string path = state.dir + "/seed.iso";
  // Made anew at every start, so it need not survive a power loss.
  VMFORGE_TRY_VOID(write_file_atomic(path, image, 0600, Durability::visible));
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return unexpected(errno_error(fmt::format("Failed to open '{}'", path)));
  return fd;
}

}  // namespace vmforge::supervisor
