// `vmforge status NAME`: what the supervisor of a running VM says about it.
#include <cerrno>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/disk_layers.hpp"
#include "cli/migration_text.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge status NAME [--json] [--runtime-dir DIR]\n"
    "\n"
    "Show the state of the VM NAME: QEMU's run state as the headline (running, paused,\n"
    "internal-error, guest-panicked, ...; the supervisor's state while it starts or stops), PIDs,\n"
    "the manifest applied last, the state directory, the snapshot layer each disk writes to\n"
    "where the manifest's file is only its base, and after 'vmforge migrate' the migration's\n"
    "latest progress.\n"
    "\n"
    "Exit status: 0 the VM runs and is healthy; 3 its supervisor runs, but the VM is not up\n"
    "and healthy (starting, stopping, internal-error, guest-panicked, io-error, shutdown,\n"
    "watchdog); 1 no supervisor runs it (or the request failed); 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --json             print the supervisor's reply as JSON (for a VM without a supervisor:\n"
    "                     {\"name\",\"state\":\"stopped\"|\"unknown\",\"run_state\",\"healthy\":false,\"error\"})\n";

constexpr int kExitUnhealthy = 3;

std::string text(const JsonValue& v, std::string_view key) { return std::string(v.get_string(key).value_or("-")); }

void print_human(const JsonValue& s) {
  std::string sha = text(s, "manifest_sha256");
  fmt::print("{} - {}\n", text(s, "name"), text(s, "run_state"));
  fmt::print("       QEMU: PID {}{}\n", s.get_int64("qemu_pid").value_or(0),
             s.get_bool("adopted").value_or(false) ? ", adopted" : "");
  fmt::print(" Supervisor: PID {} ({})\n", s.get_int64("supervisor_pid").value_or(0), text(s, "state"));
  fmt::print("   Manifest: {} (sha256 {})\n", text(s, "manifest"), sha.substr(0, 12));
  fmt::print("  State dir: {}\n", text(s, "state_dir"));
  if (const JsonValue* migration = s.find("migration")) {
    if (auto info = qmp::parse_migration(*migration)) fmt::print("  Migration: {}\n", migration_text(*info));
  }
  fmt::print("{}", describe_layers(s.find("layers"), "  "));
}

// No supervisor answered: the reason on stderr, and with --json an answer on stdout too.
int report_down(std::string_view name, bool json, const Error& error) {
  fmt::print(stderr, "vmforge status: {}\n", error.message);
  if (json) {
    bool stopped = error.errno_value == ENOENT || error.errno_value == ECONNREFUSED;
    JsonWriter w;
    w.begin_object().field("name", name).field("state", stopped ? "stopped" : "unknown");
    w.field("run_state", stopped ? "stopped" : "unknown").field("healthy", false).field("error", error.message);
    w.end_object();
    fmt::print("{}\n", w.str());
  }
  return 1;
}

}  // namespace

int cmd_status(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"status", kHelp, {{"json"}}, 1, "expects exactly one VM NAME"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  const std::string& name = args.positionals().front();
  const bool json = args.has("json");
  auto client = connect_vm(name, args.value("runtime-dir"));
  if (!client) return report_down(name, json, client.error());
  auto status = client->status();
  if (!status) return report_down(name, json, status.error());
  if (json) {
    fmt::print("{}\n", status->to_json());
  } else {
    print_human(*status);
  }
  return status->get_bool("healthy").value_or(false) ? 0 : kExitUnhealthy;
}

}  // namespace vmforge::cli
