// connect_vm: state dir of a VM name -> its control socket.
#include "cli/vm_connect.hpp"

#include "cli/progress.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::cli {

Result<supervisor::ControlClient> connect_vm(std::string_view name, const std::optional<std::string>& runtime_dir) {
  VMFORGE_TRY(auto state, supervisor::resolve_state_dir(name, runtime_dir));
  return supervisor::ControlClient::connect(state.control_socket(), name);
}

Result<void> stop_vm(std::string_view name, const std::optional<std::string>& runtime_dir, bool wait) {
  VMFORGE_TRY(auto client, connect_vm(name, runtime_dir));
  Progress progress;
  VMFORGE_TRY(JsonValue begun, call_with_progress(client, R"({"request":"stop"})", std::chrono::seconds(30), progress));
  (void)begun;
  if (wait) show_until_closed(client, progress);
  return {};
}

}  // namespace vmforge::cli
