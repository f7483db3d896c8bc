// connect_vm: a VM name -> its supervisor; stop_vm with the stop's progress; the --runtime-dir
// commands' parsing.
#include "cli/vm_connect.hpp"

#include <fmt/format.h>

#include "cli/progress.hpp"

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

Result<supervisor::VmClient> connect_vm(std::string_view name, const std::optional<std::string>& runtime_dir) {
  return supervisor::VmClient::connect(name, runtime_dir);
}

Result<void> stop_vm(std::string_view name, const std::optional<std::string>& runtime_dir, bool wait) {
  VMFORGE_TRY(auto client, connect_vm(name, runtime_dir));
  Progress progress;
  return client.stop({.wait = wait, .on_status = [&progress](std::string_view status) { progress.show(status); }});
}

}  // namespace vmforge::cli
