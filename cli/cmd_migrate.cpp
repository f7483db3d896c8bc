// `vmforge migrate NAME --to URI`: asks the VM's supervisor to live-migrate it to a destination
// started with `vmforge run FILE --incoming URI` (supervisor/core/migration.hpp), shows the
// progress, and cancels on Ctrl-C.
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/cancellable_request.hpp"
#include "cli/commands.hpp"
#include "cli/migration_text.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/model/units.hpp"
#include "compiler/qmp/ops_migration.hpp"
#include "supervisor/core/migration.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge migrate NAME --to URI [--wait-for-destination SECONDS] [--detach]\n"
    "         [--bandwidth BYTES/S] [--downtime-limit MS] [--auto-converge] [--postcopy] [--multifd N]\n"
    "\n"
    "Live-migrate the running VM NAME to the destination listening on URI ('tcp:HOST:PORT' or\n"
    "'unix:/PATH'), a 'vmforge run FILE --incoming URI' with the VM's manifest. Its disks must be\n"
    "the same files on both ends (shared storage). Shows what is sent, what remains, how fast\n"
    "the guest dirties RAM and the expected downtime while it runs. Once the destination has\n"
    "the VM, the supervisor here quits QEMU and ends (status 0: its unit goes inactive). A\n"
    "failed migration, or Ctrl-C (which cancels it), leaves the VM running here.\n"
    "The manifest's [migration] table sets the defaults; these options override it.\n"
    "\n"
    "Exit status: 0 migrated (or, with --detach, started); 1 the VM is not running or the\n"
    "migration failed or was cancelled; 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --to URI                      the destination (required)\n"
    "  --wait-for-destination SECS   retry for up to SECS while nothing listens on URI yet\n"
    "  --detach                      return once the migration started; the supervisor carries\n"
    "                                it on ('vmforge status NAME' shows its progress)\n"
    "  --bandwidth BYTES/S           most bytes per second to send ('1G', '500M' or bytes)\n"
    "  --downtime-limit MS           longest pause of the guest at switch-over\n"
    "  --auto-converge               throttle the vCPUs while RAM is dirtied faster than sent\n"
    "  --postcopy                    switch to post-copy after [migration] postcopy_after_passes\n"
    "                                passes (the destination's manifest needs postcopy = true)\n"
    "  --multifd N                   N parallel channels (the destination's manifest needs\n"
    "                                multifd = N)\n";

std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

// One line of progress from query-migrate; nullopt before the migration has numbers.
std::optional<std::string> progress_line(supervisor::VmClient& watch) {
  auto reply = watch.qmp(R"({"execute":"query-migrate"})");
  if (!reply) return std::nullopt;
  auto info = qmp::parse_migration(*reply);
  if (!info || !info->ram) return std::nullopt;
  return "Migrating (" + migration_text(*info) + ")";
}

}  // namespace

int cmd_migrate(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"migrate",
                                        kHelp,
                                        {{"to", true},
                                         {"wait-for-destination", true},
                                         {"detach"},
                                         {"bandwidth", true},
                                         {"downtime-limit", true},
                                         {"auto-converge"},
                                         {"postcopy"},
                                         {"multifd", true}},
                                        1,
                                        "expects exactly one VM NAME"},
                                       argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  const std::string& name = args.positionals().front();
  auto to = args.value("to");
  if (!to) return usage_error("migrate", "'--to URI' is required");
  if (!supervisor::valid_migration_uri(*to)) {
    return usage_error("migrate", fmt::format("'--to' takes 'tcp:HOST:PORT' or 'unix:/PATH', not '{}'", *to));
  }
  JsonWriter w;
  w.begin_object().field("request", "migrate").field("uri", *to).field("detach", args.has("detach"));
  w.field("auto_converge", args.has("auto-converge")).field("postcopy", args.has("postcopy"));
  if (auto text = args.value("wait-for-destination")) {
    auto seconds = whole_number(*text);
    if (!seconds) return usage_error("migrate", fmt::format("'--wait-for-destination' takes seconds, not '{}'", *text));
    w.field("wait_for_destination_s", *seconds);
  }
  if (auto text = args.value("bandwidth")) {
    auto bytes = ByteSize::parse(*text);
    if (!bytes || bytes->bytes() == 0) {
      return usage_error("migrate", fmt::format("'--bandwidth' takes bytes per second ('1G'), not '{}'", *text));
    }
    w.field("bandwidth", bytes->bytes());
  }
  if (auto text = args.value("downtime-limit")) {
    auto ms = whole_number(*text);
    if (!ms || *ms == 0) {
      return usage_error("migrate", fmt::format("'--downtime-limit' takes milliseconds, not '{}'", *text));
    }
    w.field("downtime_limit_ms", *ms);
  }
  if (auto text = args.value("multifd")) {
    auto channels = whole_number(*text);
    if (!channels || *channels == 0 || *channels > 255) {
      return usage_error("migrate", fmt::format("'--multifd' takes 1 to 255 channels, not '{}'", *text));
    }
    w.field("multifd", *channels);
  }
  w.end_object();
  auto reply = send_cancellable(name, args.value("runtime-dir"), w.str(),
                                {R"({"request":"migrate-cancel"})", "Cancelling the migration...", progress_line});
  if (!reply) {
    fmt::print(stderr, "vmforge migrate: {}\n", reply.error().message);
    return 1;
  }
  if (reply->get_bool("detached").value_or(false)) {
    fmt::print("Migration of VM '{}' to '{}' started; 'vmforge status {}' shows its progress.\n", name, *to, name);
    return 0;
  }
  fmt::print("VM '{}' migrated to '{}' in {:.3f}s (downtime {} ms).\n", name, *to,
             static_cast<double>(reply->get_uint64("total_time_ms").value_or(0)) / 1000,
             reply->get_uint64("downtime_ms").value_or(0));
  return 0;
}

}  // namespace vmforge::cli
