// `vmforge check FILE`: validate a manifest and print every diagnostic.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"

namespace vmforge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge check FILE\n"
    "\n"
    "Validate the manifest FILE without running anything: it is compiled as 'vmforge\n"
    "compile' does, so whatever compile refuses, check refuses. Prints every problem as\n"
    "FILE:LINE:COLUMN: error: MESSAGE with the source line, sorted by position.\n"
    "\n"
    "Exit status: 0 the manifest is valid, 1 it has errors, 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --quiet   print nothing when the manifest is valid\n"
    "  --help    show this help\n";

}  // namespace

int cmd_check(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, {"quiet"}});
  if (!args) return usage_error("check", args.error().message);
  if (args->has("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("check", "expects exactly one manifest FILE");
  const std::string& path = args->positionals().front();
  auto compiled = compile_or_report(path);
  if (!compiled) return 1;
  if (!args->has("quiet")) fmt::print("{}: ok ('{}')\n", path, compiled->vm.name);
  return 0;
}

}  // namespace vmforge::cli
