// connect_vm: state dir of a VM name -> its control socket; the --runtime-dir commands' parsing.
#include "cli/vm_connect.hpp"

#include <fmt/format.h>

#include "cli/progress.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::cli {

std::variant<Args, int> parse_with_runtime_dir(const RuntimeDirCommand& command, int argc, char** argv) {
  std::vector<OptionSpec> options{{"help"}, kRuntimeDirOption};
  options.insert(options.end(), command.options.begin(), command.options.end());
  auto args = Args::parse(argc, argv, 1, options);
  if (!args) return usage_error(command.name, args.error().message);
  if (args->has("help")) {
    fmt::print("{}{}  --help             show this help\n", command.help, kRuntimeDirHelp);
    return 0;
  }
  if (args->positionals().size() != command.arguments) return usage_error(command.name, command.wrong_count);
  return std::move(*args);
}

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
