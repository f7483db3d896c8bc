// `vmforge snapshot VM NAME`: an external snapshot of the running VM's disks;
// `vmforge snapshot list VM`: the snapshots its chain record holds (README, "Snapshots").
#include <ctime>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/disk_layers.hpp"
#include "cli/job_progress.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/model/units.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge snapshot VM NAME [--disk ID[,ID...]] [--label TEXT] [--runtime-dir DIR]\n"
    "       vmforge snapshot list VM [--json] [--runtime-dir DIR]\n"
    "       vmforge snapshot revert VM NAME --allow-restart [--runtime-dir DIR]\n"
    "       vmforge snapshot delete VM NAME [--speed BYTES] [--runtime-dir DIR]\n"
    "\n"
    "Take snapshot NAME of the running VM's disks (every writable one, or those --disk names)\n"
    "live: a new qcow2 layer FILE.NAME.qcow2 next to each disk's file takes the writes from now\n"
    "on, all disks at the same instant; the disk's file keeps what it held at the snapshot.\n"
    "FILE.vmforge-chain.json beside each disk's file records its layers: restarts (after a host\n"
    "reboot too) and 'plan' use them. 'list' shows the\n"
    "snapshots and the layer each disk writes to. 'revert' drops what the disks of snapshot\n"
    "NAME wrote after it (refused if a later snapshot holds some of it) and restarts QEMU onto\n"
    "them: the guest boots again on the disks as they were at the snapshot. 'delete' merges\n"
    "each layer of NAME into the one below, live (block-commit), showing the bytes merged and\n"
    "the rate, and removes its file.\n"
    "\n"
    "Exit status: 0 success; 1 the VM is not running or the snapshot failed; 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --disk ID[,ID...]  only these disks\n"
    "  --label TEXT       a note shown by 'list'\n"
    "  --json             (list) print the supervisor's reply as JSON\n"
    "  --allow-restart    (revert) agree to the restart of QEMU\n"
    "  --speed BYTES      (delete) merge at most BYTES per second (\"64M\"), sparing the guest's I/O\n";

std::vector<std::string> split_ids(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return out;
}

std::string local_time(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  return std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm) ? text : "?";
}

void print_list(const JsonValue& reply) {
  const JsonValue* snapshots = reply.find("snapshots");
  if (!snapshots || !snapshots->as_array() || snapshots->as_array()->empty()) {
    fmt::print("No snapshots.\n");
    return;
  }
  for (const JsonValue& s : *snapshots->as_array()) {
    fmt::print("{}  {}", s.get_string("name").value_or("?"), local_time(s.get_int64("created").value_or(0)));
    if (auto label = s.get_string("label"); label && !label->empty()) fmt::print("  '{}'", *label);
    fmt::print("\n");
    if (const JsonValue* disks = s.find("disks"); disks && disks->as_array()) {
      for (const JsonValue& d : *disks->as_array()) {
        fmt::print("  disk '{}': {}\n", d.get_string("disk").value_or("?"), d.get_string("file").value_or("?"));
      }
    }
  }
  fmt::print("{}", describe_layers(reply.find("active")));
}

// revert or delete VM NAME.
int change(const Args& args, bool revert) {
  const std::string& vm = args.positionals()[1];
  const std::string& name = args.positionals()[2];
  std::optional<ByteSize> speed;
  if (auto text = args.value("speed")) {
    auto parsed = ByteSize::parse(*text);
    if (!parsed || revert) {
      usage_error("snapshot", revert ? "'--speed' is for 'delete'" : fmt::format("invalid --speed '{}'", *text));
      return 2;
    }
    speed = *parsed;
  }
  JsonWriter w;
  w.begin_object().field("request", revert ? "snapshot-revert" : "snapshot-delete").field("name", name);
  w.field("allow_restart", args.has("allow-restart"));
  if (speed) w.field("speed", speed->bytes());
  w.end_object();
  Result<JsonValue> reply = unexpected(Error("not sent"));
  if (revert) {
    auto client = connect_vm(vm, args.value("runtime-dir"));
    reply =
        client ? client->connection().call(w.str(), std::chrono::minutes(2)) : unexpected(std::move(client).error());
  } else {
    reply = send_cancellable(
        vm, args.value("runtime-dir"), w.str(),
        showing_jobs({"Merging", [](const JsonValue& job) { return job.get_string("type") == "commit"; }, "", ""}));
  }
  if (!reply) {
    fmt::print(stderr, "vmforge snapshot: {}\n", reply.error().message);
    return 1;
  }
  if (revert) {
    fmt::print("VM '{}' restarted on snapshot '{}'.\n", vm, name);
  } else {
    fmt::print("Snapshot '{}' of VM '{}' deleted; its layers were merged.\n", name, vm);
  }
  return 0;
}

}  // namespace

int cmd_snapshot(int argc, char** argv) {
  const std::string_view verb = argc > 1 ? argv[1] : "";
  const bool revert = verb == "revert";
  const bool remove = verb == "delete";
  auto parsed = parse_with_runtime_dir({"snapshot",
                                        kHelp,
                                        {{"disk", true}, {"label", true}, {"json"}, {"allow-restart"}, {"speed", true}},
                                        revert || remove ? 3u : 2u,
                                        "expects a VM and a snapshot NAME, list VM or revert VM NAME"},
                                       argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  if (revert || remove) return change(args, revert);
  const bool list = args.positionals()[0] == "list";
  const std::string& vm = args.positionals()[list ? 1 : 0];
  auto client = connect_vm(vm, args.value("runtime-dir"));
  if (!client) {
    fmt::print(stderr, "vmforge snapshot: {}\n", client.error().message);
    return 1;
  }
  JsonWriter w;
  w.begin_object().field("request", list ? "snapshot-list" : "snapshot");
  if (!list) {
    w.field("name", args.positionals()[1]);
    if (auto label = args.value("label")) w.field("label", *label);
    if (auto disks = args.value("disk")) {
      w.key("disks").begin_array();
      for (const std::string& id : split_ids(*disks)) w.value(id);
      w.end_array();
    }
  }
  w.end_object();
  auto reply = client->connection().call(w.str(), std::chrono::seconds(90));
  if (!reply) {
    fmt::print(stderr, "vmforge snapshot: {}\n", reply.error().message);
    return 1;
  }
  if (list) {
    if (args.has("json")) {
      fmt::print("{}\n", reply->to_json());
    } else {
      print_list(*reply);
    }
    return 0;
  }
  fmt::print("Snapshot '{}' of VM '{}' taken.\n", args.positionals()[1], vm);
  return 0;
}

}  // namespace vmforge::cli
