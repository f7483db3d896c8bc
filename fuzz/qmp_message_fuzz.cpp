// libFuzzer target: bytes a QMP peer might send -> LineBuffer -> parse_message -> the typed
// reply parsers and event filters, and the supervisor's observation of a running VM (a reply
// that is an array is taken as the answers to round one's queries). Any crash, sanitizer report
// or broken invariant (a parsed value must survive to_json() and parse_json() unchanged) is a
// bug.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "supervisor/core/observed_state.hpp"
#include "supervisor/qmp/framing.hpp"
#include "supervisor/qmp/message.hpp"
#include "supervisor/qmp/operations.hpp"

using namespace vmforge;
using namespace vmforge::qmp;

namespace {

void check_round_trip(const JsonValue& value) {
  auto again = parse_json(value.to_json());
  if (!again || !(*again == value)) std::abort();
}

// Round one's replies are the array's elements (null where it is short), round two's the same
// elements in turn; observed with and without hotplug and root ports.
void exercise_observation(const JsonValue& value) {
  const JsonArray* elements = value.as_array();
  if (!elements || elements->empty()) return;
  std::vector<JsonValue> replies(supervisor::first_queries().size());
  for (std::size_t i = 0; i < replies.size() && i < elements->size(); ++i) replies[i] = (*elements)[i];
  const supervisor::FirstReplies first = supervisor::first_replies(std::move(replies));
  for (bool hotplug : {false, true}) {
    supervisor::ObserveContext context;
    context.hotplug = hotplug;
    context.root_ports = hotplug;
    context.balloon_targets["bal0"] = 1 << 20;
    const supervisor::SecondQueries queries = supervisor::second_queries(first, context);
    std::vector<JsonValue> answers;
    for (std::size_t i = 0; i < queries.size(); ++i) answers.push_back((*elements)[i % elements->size()]);
    (void)supervisor::second_calls(queries);
    const supervisor::SecondReplies second = supervisor::second_replies(queries, std::move(answers));
    (void)supervisor::build_observed(first, second, context);
  }
}

void exercise_reply(const JsonValue& value) {
  check_round_trip(value);
  (void)parse_status(value);
  (void)parse_schema(value);
  (void)parse_qom_list(value);
  (void)parse_hotpluggable_cpus(value);
  (void)parse_cpus_fast(value);
  (void)parse_memory_devices(value);
  (void)parse_memory_size_summary(value);
  (void)parse_balloon(value);
  (void)parse_migration(value);
  (void)parse_add_fd(value);
  exercise_observation(value);
}

void exercise_event(const Event& event) {
  check_round_trip(event.data);
  EventMatch del = awaited_event(device_del("vd1").completion);
  (void)del.filter(event);
  (void)del.failure(event);
  (void)awaited_event(device_del_cpu("cpu1").completion).filter(event);
  (void)data_equals("status", "completed")(event);
}

void exercise(std::string_view line) {
  (void)excerpt(line);
  auto message = parse_message(line);
  if (!message) return;
  if (auto* reply = std::get_if<Reply>(&*message)) exercise_reply(reply->value);
  if (auto* event = std::get_if<Event>(&*message)) exercise_event(*event);
  if (auto* error = std::get_if<ErrorReply>(&*message)) (void)excerpt(error->desc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks where the input is cut in two writes, so partial lines are covered.
  std::size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  LineBuffer buffer(64 * 1024);
  for (std::string_view chunk : {std::string_view(reinterpret_cast<const char*>(data), cut),
                                 std::string_view(reinterpret_cast<const char*>(data) + cut, size - cut)}) {
    // memcpy with a null pointer is undefined even for 0 bytes, and an empty span's data() may be null.
    if (chunk.empty()) continue;
    auto space = buffer.prepare(chunk.size());
    std::memcpy(space.data(), chunk.data(), chunk.size());
    buffer.commit(chunk.size());
    while (true) {
      auto line = buffer.next_line();
      if (!line || !*line) break;
      exercise(**line);
    }
  }
  return 0;
}
