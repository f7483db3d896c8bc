// `vmforge compile FILE`: print the frozen QEMU command line and hotplug plan of a manifest.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"
#include "compiler/plan/argv_format.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge compile FILE [--format json|shell|lines]\n"
    "\n"
    "Compile the manifest FILE into exactly what 'vmforge run' executes, without touching\n"
    "anything: the QEMU binary, its argument vector (QEMU starts paused with -S; its QMP\n"
    "monitor is the listening socket 'run' passes as fd 3) and the hotplug steps applied\n"
    "over QMP before the guest runs.\n"
    "\n"
    "Formats:\n"
    "  json    {\"name\", \"qemu\", \"argv\": [...], \"plan\": [...], \"manifest_sha256\"} (default)\n"
    "  shell   one command line, quoted for a POSIX shell\n"
    "  lines   the binary and each argument on a line of its own\n"
    "\n"
    "Exit status: 0 success, 1 the manifest has errors, 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --format FORMAT   json, shell or lines\n"
    "  --help            show this help\n";

}  // namespace

int cmd_compile(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, {"format", true}});
  if (!args) return usage_error("compile", args.error().message);
  if (args->has("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  const std::string format = args->value("format").value_or("json");
  if (format != "json" && format != "shell" && format != "lines") {
    return usage_error("compile", fmt::format("unknown format '{}': use json, shell or lines", format));
  }
  if (args->positionals().size() != 1) return usage_error("compile", "expects exactly one manifest FILE");

  auto compiled = compile_or_report(args->positionals().front());
  if (!compiled) return 1;
  const Plan& plan = compiled->plan;
  if (!compiled->vm.qemu.extra_args.empty()) {
    std::string raw;
    for (const auto& arg : compiled->vm.qemu.extra_args) {
      raw += ' ';
      raw += shell_quote(arg);
    }
    fmt::print(stderr,
               "vmforge compile: warning: the manifest passes raw arguments to QEMU that vmforge does not check:{}\n",
               raw);
  }
  if (format == "shell") {
    fmt::print("{}", render_shell(plan));
  } else if (format == "lines") {
    fmt::print("{}", render_lines(plan));
  } else {
    fmt::print("{}", render_plan_json(plan));
  }
  return 0;
}

}  // namespace vmforge::cli
