// `vmforge qmp NAME JSON`: one QMP command through the VM's supervisor.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge qmp NAME JSON [--runtime-dir DIR]\n"
    "\n"
    "Send one QMP command to the QEMU of the running VM NAME through its supervisor (which\n"
    "owns the QMP connection) and print the command's return value as JSON. JSON is\n"
    "{\"execute\": COMMAND, \"arguments\": {...}}, e.g.\n"
    "  vmforge qmp web '{\"execute\": \"query-status\"}'\n"
    "An \"id\" is not passed on (the supervisor matches replies in order); out-of-band\n"
    "commands (\"exec-oob\") are refused.\n"
    "\n"
    "Exit status: 0 success; 1 QEMU or the supervisor refused the command, or the VM is not\n"
    "running; 2 usage error (JSON that is not an object with \"execute\").\n"
    "\n"
    "Options:\n";

}  // namespace

int cmd_qmp(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"qmp", kHelp, {}, 2, "expects a VM NAME and a JSON command"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  auto command = parse_json(args.positionals()[1]);
  if (!command || !command->is_object() || !command->get_string("execute")) {
    return usage_error("qmp", R"(JSON must be an object like {"execute": "query-status"})");
  }
  auto client = connect_vm(args.positionals()[0], args.value("runtime-dir"));
  if (!client) {
    fmt::print(stderr, "vmforge qmp: {}\n", client.error().message);
    return 1;
  }
  auto reply = client->qmp(command->to_json(), std::chrono::seconds(90));
  if (!reply) {
    fmt::print(stderr, "vmforge qmp: {}\n", reply.error().message);
    return 1;
  }
  fmt::print("{}\n", reply->to_json());
  return 0;
}

}  // namespace vmforge::cli
