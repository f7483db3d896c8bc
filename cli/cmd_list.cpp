// `vmforge list`: every VM of this host, like `machinectl list`.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/host_vms.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge list [--json] [--runtime-dir DIR]\n"
    "\n"
    "List every VM of this host (each state directory under the runtime directory): its state\n"
    "(QEMU's run state when its supervisor answers, else the supervisor's; 'stopped' when no\n"
    "supervisor runs it, 'stale' when the last one died), QEMU's PID and uptime, the systemd\n"
    "unit of its supervisor, and the manifest it runs (or ran last). Supervisors are asked at\n"
    "once; one that does not answer within 2 s is shown 'unresponsive'.\n"
    "\n"
    "Options:\n"
    "  --json             print a JSON array, one object per VM\n";

// Like systemd's timespans, to the two largest units: "3min 12s", "2h 5min", "4d 1h".
std::string uptime_text(std::chrono::milliseconds age) {
  long long s = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}min {}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {}min", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

void print_table(const std::vector<HostVm>& vms) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "QEMU-PID", "UPTIME", "UNIT", "SHA256", "MANIFEST"}};
  for (const HostVm& vm : vms) {
    rows.push_back({vm.name, vm.state, vm.qemu_pid ? std::to_string(*vm.qemu_pid) : "-",
                    vm.uptime ? uptime_text(*vm.uptime) : "-", vm.unit ? vm.unit->name : "-",
                    or_dash(vm.manifest_sha256.substr(0, 12)), or_dash(vm.manifest)});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += c + 1 < row.size() ? fmt::format("{:<{}} ", row[c], width[c]) : row[c];
    }
    fmt::print("{}\n", line);
  }
  fmt::print("\n{} VM{} listed.\n", vms.size(), vms.size() == 1 ? "" : "s");
}

template <class T>
void optional_field(JsonWriter& w, std::string_view name, const std::optional<T>& value) {
  w.key(name);
  if (value) {
    w.value(*value);
  } else {
    w.null();
  }
}

void print_json(const std::vector<HostVm>& vms) {
  JsonWriter w;
  w.begin_array();
  for (const HostVm& vm : vms) {
    w.begin_object().field("name", vm.name).field("state", vm.state);
    optional_field(w, "supervisor_state", vm.supervisor_state);
    optional_field(w, "supervisor_pid",
                   vm.supervisor_pid ? std::optional<std::int64_t>(*vm.supervisor_pid) : std::nullopt);
    optional_field(w, "qemu_pid", vm.qemu_pid ? std::optional<std::int64_t>(*vm.qemu_pid) : std::nullopt);
    optional_field(
        w, "uptime_sec",
        vm.uptime ? std::optional<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(*vm.uptime).count())
                  : std::nullopt);
    optional_field(w, "unit", vm.unit ? std::optional<std::string>(vm.unit->name) : std::nullopt);
    optional_field(w, "unit_manager",
                   vm.unit ? std::optional<std::string>(vm.unit->user ? "user" : "system") : std::nullopt);
    optional_field(w, "manifest", vm.manifest.empty() ? std::nullopt : std::optional<std::string>(vm.manifest));
    optional_field(w, "manifest_sha256",
                   vm.manifest_sha256.empty() ? std::nullopt : std::optional<std::string>(vm.manifest_sha256));
    w.field("state_dir", vm.state_dir).end_object();
  }
  w.end_array();
  fmt::print("{}\n", w.str());
}

}  // namespace

int cmd_list(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"list", kHelp, {{"json"}}, 0, "takes no arguments"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  auto vms = survey_host(args.value("runtime-dir"));
  if (!vms) {
    fmt::print(stderr, "vmforge list: {}\n", vms.error().message);
    return 1;
  }
  if (args.has("json")) {
    print_json(*vms);
  } else {
    print_table(*vms);
  }
  return 0;
}

}  // namespace vmforge::cli
