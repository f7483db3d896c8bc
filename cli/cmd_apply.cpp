// vmforge apply FILE [--allow-restart] [--json] [--runtime-dir DIR]: makes the running VM match
// FILE, live where QEMU allows it; the supervisor observes, diffs, runs and verifies.
// vmforge apply [DIR] [--prune] [--allow-restart] [--json]: the same for a host (host_apply).
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/host_apply.hpp"
#include "cli/host_manifests.hpp"
#include "cli/manifest_report.hpp"
#include "cli/progress.hpp"
#include "cli/unit_manifest.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"

namespace vmforge::cli {
namespace {

void print_help() {
  fmt::print("Usage: vmforge apply FILE [--allow-restart] [--json] [--runtime-dir DIR]\n"
             "       vmforge apply [DIR] [--prune] [--allow-restart] [--json]\n\n"
             "Changes the running VM named in FILE to match it: live (hotplug, link state, media) where\n"
             "QEMU can, all or nothing (a failed step undoes the steps before it). Changes that need a\n"
             "restart are refused unless --allow-restart, which shuts the guest down gracefully and\n"
             "starts it with the new command line. 'vmforge plan FILE' shows the steps beforehand.\n\n"
             "Given a directory DIR of NAME.toml manifests\n(default: {}),\n"
             "all are checked first (nothing happens if one has errors); then, through systemd (the\n"
             "system manager as root, else the user's), each VM no supervisor runs is started as\n"
             "vmforge@NAME.service (its job waited for), each running one gets its manifest applied as\n"
             "above, and with --prune each running VM without a manifest in DIR is stopped.\n"
             "[supervisor] autostart = true|false enables or disables the unit. Each outcome is printed\n"
             "as it happens, then a summary; 'vmforge plan DIR' shows it all beforehand.\n\n"
             "  --allow-restart    restart a VM when its manifest cannot be applied live\n"
             "  --prune            (DIR) also stop running VMs that have no manifest in DIR\n"
             "  --json             print the outcome as JSON\n"
             "{}  (FILE only)\n\n"
             "Exit status: 0 applied (DIR: every VM), 1 failed (DIR: some VM failed, DIR has errors,\n"
             "or systemd is not running), 2 usage error.\n",
             kUnitManifestDirHelp, kRuntimeDirHelp);
}

}  // namespace

int cmd_apply(int argc, char** argv) {
  auto args = Args::parse(
      argc, argv, 1, {{"allow-restart", false}, {"json", false}, {"prune", false}, kRuntimeDirOption, {"help", false}});
  if (args && args->has("help")) {
    print_help();
    return 0;
  }
  if (!args) return usage_error("apply", args.error().message);
  if (args->positionals().size() > 1) return usage_error("apply", "expects one manifest FILE or directory DIR");
  const std::string target = args->positionals().empty() ? unit_manifest_dir(own_manager()) : args->positionals()[0];
  if (is_directory(target)) {
    // Units keep their state where the manager puts it; another root would not find them.
    if (args->has("runtime-dir")) return usage_error("apply", "'--runtime-dir' applies to a manifest FILE only");
    return host_apply({target, args->has("prune"), args->has("allow-restart"), args->has("json")});
  }
  if (args->has("prune")) return usage_error("apply", "'--prune' needs a manifest directory DIR");
  auto desired = load_manifest_or_report(target);
  if (!desired) return 1;
  auto reply = [&] {
    Progress progress;  // ended before the result is printed
    return request_apply(*desired, args->value("runtime-dir"), args->has("allow-restart"),
                         [&progress](std::string_view status) { progress.show(status); });
  }();
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
