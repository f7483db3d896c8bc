// What the commands that find a VM by name share: the --runtime-dir option (with --help and
// the count of arguments), and the connection to that VM's control socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/args.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/vm_client.hpp"

namespace vmforge::cli {

inline constexpr OptionSpec kRuntimeDirOption{"runtime-dir", true};

inline constexpr std::string_view kRuntimeDirHelp =
    "  --runtime-dir DIR  root of the per-VM state directories (default: $VMFORGE_RUNTIME_DIR,\n"
    "                     else $RUNTIME_DIRECTORY, /run/vmforge as root, $XDG_RUNTIME_DIR/vmforge)\n";

/// A command that takes --runtime-dir: its name (argv[0]), its help text, its options besides
/// --help and --runtime-dir, and how many arguments, with what to say when the count differs.
struct RuntimeDirCommand {
  std::string_view name;
  std::string_view help;
  std::vector<OptionSpec> options;
  std::size_t arguments = 1;
  std::string_view wrong_count;
};

/// Parses `argv` as `command` says; --help prints its help and the options. The exit status
/// to return instead: 0 after the help, 2 on a usage error.
std::variant<Args, int> parse_with_runtime_dir(const RuntimeDirCommand& command, int argc, char** argv);

/// Connects to the supervisor of VM `name` ("VM 'NAME' is not running ..." if there is none).
Result<supervisor::VmClient> connect_vm(std::string_view name, const std::optional<std::string>& runtime_dir);

/// Asks VM `name`'s supervisor to stop (the `stop` request) and, with `wait`, returns once it
/// has exited (it closes the connection then, once QEMU is gone). Each step of the stop is
/// shown on stderr as it begins (cli/progress.hpp).
Result<void> stop_vm(std::string_view name, const std::optional<std::string>& runtime_dir, bool wait);

}  // namespace vmforge::cli
