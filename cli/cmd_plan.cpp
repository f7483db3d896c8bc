// vmforge plan FILE [--from OLD.toml] [--json] [--runtime-dir DIR]: what applying FILE would do,
// to the running VM (asked through its control socket) or, offline, to a VM made from OLD.toml.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/host_manifests.hpp"
#include "cli/host_plan.hpp"
#include "cli/manifest_report.hpp"
#include "cli/unit_manifest.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"
#include "compiler/diff/diff.hpp"
#include "compiler/diff/render.hpp"
#include "compiler/validate/load_and_validate.hpp"

namespace vmforge::cli {
namespace {

void print_help() {
  fmt::print("Usage: vmforge plan FILE [--from OLD.toml] [--json] [--runtime-dir DIR]\n"
             "       vmforge plan [DIR] [--prune] [--json] [--runtime-dir DIR]\n\n"
             "Shows what 'vmforge apply FILE' would change: against the running VM named in FILE, or,\n"
             "with --from, against a VM started from OLD.toml (offline). Each change is listed with\n"
             "the exact QMP commands: '+' add, '-' remove, '~' change live, '-/+' replace, '!' restart\n"
             "required (with the manifest key and why).\n\n"
             "Given a directory DIR of NAME.toml manifests\n(default: {}),\n"
             "all are checked first (nothing else happens if one has errors); then per VM: '+ start'\n"
             "when no supervisor runs it, else its plan as above, and with --prune '- stop' for each\n"
             "running VM without a manifest in DIR.\n\n"
             "  --from OLD.toml    compare with this manifest instead of the running VM; its relative\n"
             "                     paths are read as FILE's (so OLD.toml may be <(git show HEAD:vm.toml))\n"
             "  --prune            (DIR) also stop running VMs that have no manifest in DIR\n"
             "  --json             print the plan as JSON\n"
             "{}\n"
             "Exit status: 0 no changes, 2 changes, 1 error.\n",
             kUnitManifestDirHelp, kRuntimeDirHelp);
}

int offline(const Vm& desired, const std::string& from, bool json) {
  auto source = read_manifest(from);
  if (!source) {
    fmt::print(stderr, "{}", source.error().render(""));
    return kFailed;
  }
  // `--from <(git show HEAD:vm.toml)`: the old manifest's files are where the new one's are.
  auto old = validate_or_report(source->text, from, desired.source_path);
  if (!old) return kFailed;
  Current current{resources_of(*old), &*old};
  auto planned = diff(desired, current);
  if (!planned) {
    fmt::print(stderr, "vmforge plan: {}\n", planned.error().message);
    return kFailed;
  }
  if (json) {
    fmt::print("{}\n", render_diff_json(*planned));
  } else {
    fmt::print("Comparing '{}' with a VM started from '{}'.\n\n{}", desired.source_path, from,
               render_diff_text(*planned));
  }
  return planned->empty() ? kNoChanges : kChanges;
}

int online(const Vm& desired, const std::optional<std::string>& runtime_dir, bool json) {
  auto plan = request_plan(desired, runtime_dir, kPlanTimeout);
  if (!plan) {
    fmt::print(stderr, "vmforge plan: {}\n", plan.error().message);
    return kFailed;
  }
  if (json) {
    fmt::print("{}\n", plan->diff.to_json());
  } else {
    fmt::print("Comparing '{}' with the running VM '{}'.\n{}\n{}", desired.source_path, desired.name, plan->layers,
               plan->text);
  }
  return plan->changes == 0 ? kNoChanges : kChanges;
}

}  // namespace

int cmd_plan(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1,
                          {{"from", true}, {"json", false}, {"prune", false}, kRuntimeDirOption, {"help", false}});
  if (args && args->has("help")) {
    print_help();
    return kNoChanges;
  }
  if (!args || args->positionals().size() > 1 || (args->positionals().empty() && args->has("from"))) {
    usage_error("plan", args ? "expects one manifest FILE or directory DIR" : args.error().message);
    return kFailed;
  }
  const std::string target = args->positionals().empty() ? unit_manifest_dir(own_manager()) : args->positionals()[0];
  if (is_directory(target) && !args->has("from")) {
    return host_plan({target, args->has("prune"), args->has("json"), args->value("runtime-dir")});
  }
  if (args->has("prune")) {
    usage_error("plan", "'--prune' needs a manifest directory DIR");
    return kFailed;
  }
  auto desired = load_manifest_or_report(target);
  if (!desired) return kFailed;
  const bool json = args->has("json");
  if (auto from = args->value("from")) return offline(*desired, *from, json);
  return online(*desired, args->value("runtime-dir"), json);
}

}  // namespace vmforge::cli
