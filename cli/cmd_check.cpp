// `vmforge check FILE`: validate a manifest and print every diagnostic.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/manifest_report.hpp"
#include "compiler/base/json_writer.hpp"

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
    "  --json    print the outcome as one JSON object on stdout: {\"file\", \"valid\",\n"
    "            \"name\" (when valid), \"diagnostics\": [{\"file\", \"line\", \"column\",\n"
    "            \"severity\", \"message\"}]} (line and column 0: the whole file or line)\n"
    "  --quiet   print nothing when the manifest is valid\n"
    "  --help    show this help\n";

int print_json(const std::string& path) {
  const CompileOutcome outcome = compile_diagnostics(path);
  JsonWriter w;
  w.begin_object().field("file", path).field("valid", outcome.name.has_value());
  if (outcome.name) w.field("name", *outcome.name);
  w.key("diagnostics").begin_array();
  for (const Diagnostic& d : outcome.diagnostics.items()) {
    w.begin_object().field("file", d.loc.path).field("line", d.loc.line).field("column", d.loc.column);
    w.field("severity", to_string(d.severity)).field("message", d.message).end_object();
  }
  w.end_array().end_object();
  fmt::print("{}\n", w.str());
  return outcome.name ? 0 : 1;
}

}  // namespace

int cmd_check(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, {"quiet"}, {"json"}});
  if (!args) return usage_error("check", args.error().message);
  if (args->has("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("check", "expects exactly one manifest FILE");
  const std::string& path = args->positionals().front();
  if (args->has("json")) return print_json(path);
  auto compiled = compile_or_report(path);
  if (!compiled) return 1;
  if (!args->has("quiet")) fmt::print("{}: ok ('{}')\n", path, compiled->vm.name);
  return 0;
}

}  // namespace vmforge::cli
