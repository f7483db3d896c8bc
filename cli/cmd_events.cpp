// `vmforge events NAME`: follow the QMP events and supervisor state changes of a running VM.
#include <time.h>

#include <iterator>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge events NAME [--json] [--runtime-dir DIR]\n"
    "\n"
    "Follow the running VM NAME: QEMU's QMP events (RESUME, SHUTDOWN, DEVICE_DELETED, ...)\n"
    "and the supervisor's own (STATE, STATUS, STEP of start-up and apply steps), one per\n"
    "line, until the VM stops or you press Ctrl-C.\n"
    "\n"
    "Exit status: 0 the VM stopped; 1 it is not running (or the request failed); 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --json             print each event as the supervisor sends it (one JSON object a line)\n";

// "12:00:01.123456 qmp RESUME {}" or "supervisor STATE {"state":"running"}".
std::string human(const JsonValue& e) {
  std::string when;
  if (const JsonValue* ts = e.find("timestamp")) {
    time_t seconds = static_cast<time_t>(ts->get_int64("seconds").value_or(0));
    tm local{};
    localtime_r(&seconds, &local);
    when = fmt::format("{:02}:{:02}:{:02}.{:06} ", local.tm_hour, local.tm_min, local.tm_sec,
                       ts->get_int64("microseconds").value_or(0));
  }
  std::string line =
      fmt::format("{}{} {}", when, e.get_string("source").value_or("?"), e.get_string("event").value_or("?"));
  if (const JsonValue* data = e.find("data"); data && !data->is_null())
    fmt::format_to(std::back_inserter(line), " {}", data->to_json());
  return line;
}

}  // namespace

int cmd_events(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir({"events", kHelp, {{"json"}}, 1, "expects exactly one VM NAME"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  auto client = connect_vm(args.positionals().front(), args.value("runtime-dir"));
  if (!client) {
    fmt::print(stderr, "vmforge events: {}\n", client.error().message);
    return 1;
  }
  if (auto subscribed = client->subscribe_events(); !subscribed) {
    fmt::print(stderr, "vmforge events: {}\n", subscribed.error().message);
    return 1;
  }
  for (;;) {
    auto event = client->next_event();
    if (!event) {
      if (event.error().errno_value == ECONNRESET) return 0;
      if (event.error().errno_value == EBADMSG) continue;  // not JSON: not an event either
      return 1;
    }
    fmt::print("{}\n", args.has("json") ? event->to_json() : human(*event));
    std::fflush(stdout);
  }
}

}  // namespace vmforge::cli
