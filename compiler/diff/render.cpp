// Text and JSON forms of a Diff.
#include "compiler/diff/render.hpp"

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"

namespace vmforge {
namespace {

std::string describe_completion(const QmpCall& call) {
  if (call.completion.kind == Completion::Kind::reply) return {};
  return fmt::format("  (waits for {} of '{}', {} ms)", call.completion.event, call.completion.device_id,
                     call.completion.timeout_ms);
}

void write_string_array(JsonWriter& w, std::string_view name, const std::vector<std::string>& items) {
  w.key(name).begin_array();
  for (const std::string& item : items) w.value(item);
  w.end_array();
}

}  // namespace

std::string render_diff_text(const Diff& diff) {
  if (diff.empty()) return "No changes. The VM matches the manifest.\n";
  std::string out;
  for (const Change& change : diff.changes) {
    out += fmt::format("  {} {}", action_symbol(change.action), change.resource);
    if (change.action == Action::restart) out += fmt::format("  (restart required: {})", change.key);
    out += '\n';
    for (const std::string& detail : change.details) out += fmt::format("        {}\n", detail);
    if (!change.reason.empty()) out += fmt::format("        why: {}\n", change.reason);
    for (const std::string& note : change.notes) out += fmt::format("        # {}\n", note);
    for (const PlanStep& step : change.steps) {
      if (step.call.file && step.call.file->create)
        out += fmt::format("        {}\n", describe_create(*step.call.file));
      out += fmt::format("        {} {}{}\n", step.call.command, step.call.arguments, describe_completion(step.call));
    }
  }
  out += '\n';
  out += diff.summary();
  out += '\n';
  return out;
}

std::string render_diff_json(const Diff& diff) {
  JsonWriter w;
  w.begin_object();
  w.key("changes").begin_array();
  for (const Change& change : diff.changes) {
    w.begin_object();
    w.field("action", to_string(change.action));
    w.field("symbol", action_symbol(change.action));
    w.field("resource", change.resource);
    write_string_array(w, "details", change.details);
    w.field("key", change.key);
    w.field("reason", change.reason);
    write_string_array(w, "notes", change.notes);
    w.key("steps").begin_array();
    for (const PlanStep& step : change.steps) w.raw(render_step_json(step));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.field("add", static_cast<std::uint64_t>(diff.count(Action::add)));
  w.field("change", static_cast<std::uint64_t>(diff.count(Action::update)));
  w.field("replace", static_cast<std::uint64_t>(diff.count(Action::replace)));
  w.field("remove", static_cast<std::uint64_t>(diff.count(Action::remove)));
  w.field("restart", static_cast<std::uint64_t>(diff.count(Action::restart)));
  w.field("restart_required", diff.needs_restart());
  w.end_object();
  return w.take();
}

}  // namespace vmforge
