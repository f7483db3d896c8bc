// connect_vm: a VM name -> its supervisor; stop_vm with the stop's progress.
#include "cli/vm_connect.hpp"

#include "cli/progress.hpp"

namespace vmforge::cli {

Result<supervisor::VmClient> connect_vm(std::string_view name, const std::optional<std::string>& runtime_dir) {
  return supervisor::VmClient::connect(name, runtime_dir);
}

Result<void> stop_vm(std::string_view name, const std::optional<std::string>& runtime_dir, bool wait) {
  VMFORGE_TRY(auto client, connect_vm(name, runtime_dir));
  Progress progress;
  return client.stop({.wait = wait, .on_status = [&progress](std::string_view status) { progress.show(status); }});
}

}  // namespace vmforge::cli
