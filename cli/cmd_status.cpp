// `vmforge status NAME`: what the supervisor of a running VM says about it.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge status NAME [--json] [--runtime-dir DIR]\n"
    "\n"
    "Show the state of the running VM NAME: the supervisor's state, QEMU's run state, PIDs,\n"
    "the manifest it runs and its state directory.\n"
    "\n"
    "Exit status: 0 the VM runs under a supervisor; 1 it does not (or the request failed);\n"
    "2 usage error.\n"
    "\n"
    "Options:\n"
    "  --json             print the supervisor's reply as JSON\n";

std::string text(const JsonValue& v, std::string_view key) { return std::string(v.get_string(key).value_or("-")); }

void print_human(const JsonValue& s) {
  const JsonValue* qemu_status = s.find("qemu_status");
  std::string run_state = qemu_status ? std::string(qemu_status->get_string("status").value_or("unknown")) : "no QMP";
  std::string sha = text(s, "manifest_sha256");
  fmt::print("{} - {}\n", text(s, "name"), text(s, "state"));
  fmt::print("       QEMU: PID {} ({}){}\n", s.get_int64("qemu_pid").value_or(0), run_state,
             s.get_bool("adopted").value_or(false) ? ", adopted" : "");
  fmt::print(" Supervisor: PID {}\n", s.get_int64("supervisor_pid").value_or(0));
  fmt::print("   Manifest: {} (sha256 {})\n", text(s, "manifest"), sha.substr(0, 12));
  fmt::print("  State dir: {}\n", text(s, "state_dir"));
}

}  // namespace

int cmd_status(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, {"json"}, kRuntimeDirOption});
  if (!args) return usage_error("status", args.error().message);
  if (args->has("help")) {
    fmt::print("{}{}  --help             show this help\n", kHelp, kRuntimeDirHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("status", "expects exactly one VM NAME");
  auto client = connect_vm(args->positionals().front(), args->value("runtime-dir"));
  if (!client) {
    fmt::print(stderr, "vmforge status: {}\n", client.error().message);
    return 1;
  }
  auto status = client->call(R"({"request":"status"})", std::chrono::seconds(30));
  if (!status) {
    fmt::print(stderr, "vmforge status: {}\n", status.error().message);
    return 1;
  }
  if (args->has("json")) {
    fmt::print("{}\n", status->to_json());
  } else {
    print_human(*status);
  }
  return 0;
}

}  // namespace vmforge::cli
