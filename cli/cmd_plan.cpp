// vmforge plan FILE [--from OLD.toml] [--json] [--runtime-dir DIR]: what applying FILE would do,
// to the running VM (asked through its control socket) or, offline, to a VM made from OLD.toml.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"
#include "compiler/compile.hpp"
#include "compiler/diff.hpp"
#include "compiler/diff_render.hpp"

namespace vmforge::cli {
namespace {

constexpr int kNoChanges = 0;
constexpr int kFailed = 1;
constexpr int kChanges = 2;
constexpr auto kPlanTimeout = std::chrono::seconds(30);

void print_help() {
  fmt::print(
      "Usage: vmforge plan FILE [--from OLD.toml] [--json] [--runtime-dir DIR]\n\n"
      "Shows what 'vmforge apply FILE' would change: against the running VM named in FILE, or,\n"
      "with --from, against a VM started from OLD.toml (offline). Each change is listed with\n"
      "the exact QMP commands: '+' add, '-' remove, '~' change live, '-/+' replace, '!' restart\n"
      "required (with the manifest key and why).\n\n"
      "  --from OLD.toml    compare with this manifest instead of the running VM; its relative\n"
      "                     paths are read as FILE's (so OLD.toml may be <(git show HEAD:vm.toml))\n"
      "  --json             print the plan as JSON\n"
      "{}\n"
      "Exit status: 0 no changes, 2 changes, 1 error.\n",
      kRuntimeDirHelp);
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
  auto reply = send_manifest(desired, "plan", runtime_dir, {}, kPlanTimeout);
  if (!reply) {
    fmt::print(stderr, "vmforge plan: {}\n", reply.error().message);
    return kFailed;
  }
  const JsonValue* diff_json = reply->find("diff");
  auto text = reply->get_string("text");
  auto changes = reply->get_uint64("changes");
  if (!diff_json || !text || !changes) {
    fmt::print(stderr, "vmforge plan: the supervisor's reply lacks 'diff', 'text' or 'changes'.\n");
    return kFailed;
  }
  if (json) {
    fmt::print("{}\n", diff_json->to_json());
  } else {
    fmt::print("Comparing '{}' with the running VM '{}'.\n\n{}", desired.source_path, desired.name, *text);
  }
  return *changes == 0 ? kNoChanges : kChanges;
}

}  // namespace

int cmd_plan(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"from", true}, {"json", false}, kRuntimeDirOption, {"help", false}});
  if (args && args->has("help")) {
    print_help();
    return kNoChanges;
  }
  if (!args || args->positionals().size() != 1) {
    usage_error("plan", args ? "expects exactly one manifest FILE" : args.error().message);
    return kFailed;
  }
  auto desired = load_manifest_or_report(args->positionals()[0]);
  if (!desired) return kFailed;
  const bool json = args->has("json");
  if (auto from = args->value("from")) return offline(*desired, *from, json);
  return online(*desired, args->value("runtime-dir"), json);
}

}  // namespace vmforge::cli
