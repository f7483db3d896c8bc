// What the two halves of `vmforge run` share: the static launcher (launch_run.cpp), which
// spawns QEMU and execs the supervisor, and the supervisor in vmforge-full (cmd_run.cpp).
#pragma once

#include <optional>
#include <string>
#include <variant>

namespace vmforge::cli {

struct RunArgs {
  std::string path;                         // the manifest FILE
  std::optional<std::string> runtime_dir;   // --runtime-dir
  std::optional<std::string> handoff;       // --handoff, from the launcher (vmforge-full only)
};

/// Parses `run`'s arguments (argv[0] is "run"), taking --handoff only when `with_handoff`.
/// The exit status to return instead when they ask for help (printed: 0) or are wrong (2).
std::variant<RunArgs, int> parse_run_args(int argc, char** argv, bool with_handoff);

/// Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP: sd-event refuses a pidfd child source unless
/// SIGCHLD is blocked before the loop exists, and the loop is made after QEMU is spawned, so a
/// SIGTERM or Ctrl-C in between stays pending for the loop instead of killing us and orphaning
/// QEMU. The mask survives the launcher's exec into the supervisor. Ignores SIGPIPE: a log
/// line to a closed stderr (`vmforge run ... | head`) must fail, not kill us and orphan QEMU.
void block_supervisor_signals();

}  // namespace vmforge::cli
