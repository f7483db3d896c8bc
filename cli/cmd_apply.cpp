// vmforge apply FILE [--allow-restart] [--json] [--runtime-dir DIR]: makes the running VM match
// FILE, live where QEMU allows it; the supervisor observes, diffs, runs and verifies.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"

namespace vmforge::cli {
namespace {

// Unplugs wait for the guest (10 s each at most), and a restart for a graceful shutdown.
constexpr auto kApplyTimeout = std::chrono::minutes(10);

void print_help() {
  fmt::print(
      "Usage: vmforge apply FILE [--allow-restart] [--json] [--runtime-dir DIR]\n\n"
      "Changes the running VM named in FILE to match it: live (hotplug, link state, media) where\n"
      "QEMU can, all or nothing (a failed step undoes the steps before it). Changes that need a\n"
      "restart are refused unless --allow-restart, which shuts the guest down gracefully and\n"
      "starts it with the new command line. 'vmforge plan FILE' shows the steps beforehand.\n\n"
      "  --allow-restart    restart the VM when the manifest cannot be applied live\n"
      "  --json             print the outcome as JSON\n"
      "{}",
      kRuntimeDirHelp);
}

}  // namespace

int cmd_apply(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"allow-restart", false}, {"json", false}, kRuntimeDirOption, {"help", false}});
  if (args && args->has("help")) {
    print_help();
    return 0;
  }
  if (!args) return usage_error("apply", args.error().message);
  if (args->positionals().size() != 1) return usage_error("apply", "expects exactly one manifest FILE");
  auto desired = load_manifest_or_report(args->positionals()[0]);
  if (!desired) return 1;
  auto reply = send_manifest(*desired, "apply", args->value("runtime-dir"),
                             {{"allow_restart", args->has("allow-restart")}}, kApplyTimeout);
  if (!reply) {
    fmt::print(stderr, "vmforge apply: {}\n", reply.error().message);
    return 1;
  }
  const bool ok = reply->get_bool("ok").value_or(false);
  if (args->has("json")) {
    fmt::print("{}\n", reply->to_json());
  } else {
    fmt::print("{}\n{}\n", reply->get_string("text").value_or(""), reply->get_string("message").value_or(""));
  }
  return ok ? 0 : 1;
}

}  // namespace vmforge::cli
