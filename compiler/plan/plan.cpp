// Rendering a Plan as the JSON `vmforge compile` prints and goldens hold.
#include "compiler/plan/plan.hpp"

#include "compiler/base/json_writer.hpp"

namespace vmforge {
namespace {

void write_completion(JsonWriter& w, const Completion& completion) {
  w.begin_object();
  if (completion.kind == Completion::Kind::reply) {
    w.field("kind", "reply");
  } else {
    w.field("kind", "event");
    w.field("event", completion.event);
    w.field("device", completion.device_id);
    w.field("timeout_ms", completion.timeout_ms);
  }
  w.end_object();
}

void write_file(JsonWriter& w, const PassedFile& file) {
  w.begin_object().field("path", file.path).field("open", to_string(file.open)).end_object();
}

void write_call_members(JsonWriter& w, const QmpCall& call) {
  w.field("command", call.command);
  w.key("arguments").raw(call.arguments);
  w.key("completion");
  write_completion(w, call.completion);
  if (call.file) write_file(w.key("file"), *call.file);
}

}  // namespace

std::string render_step_json(const PlanStep& step) {
  JsonWriter w;
  w.begin_object();
  w.field("resource", step.resource);
  write_call_members(w, step.call);
  w.key("undo");
  if (step.undo) {
    w.begin_object();
    write_call_members(w, *step.undo);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

std::string render_plan_json(const Plan& plan) {
  std::string out = "{\n";
  out += "  \"name\": " + json_quote(plan.name) + ",\n";
  out += "  \"qemu\": " + json_quote(plan.qemu_binary) + ",\n";
  out += "  \"argv\": [";
  for (std::size_t i = 0; i < plan.argv.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += json_quote(plan.argv[i]);
  }
  out += plan.argv.empty() ? "],\n" : "\n  ],\n";
  // The files `run` opens and passes at these fd numbers, before QEMU starts.
  out += "  \"files\": [";
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    JsonWriter w;
    w.begin_object().field("fd", plan.files[i].fd).key("file");
    write_file(w, plan.files[i].file);
    out += w.end_object().take();
  }
  out += plan.files.empty() ? "],\n" : "\n  ],\n";
  out += "  \"plan\": [";
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += render_step_json(plan.steps[i]);
  }
  out += plan.steps.empty() ? "],\n" : "\n  ],\n";
  out += "  \"manifest_sha256\": " + json_quote(plan.manifest_sha256) + "\n}\n";
  return out;
}

}  // namespace vmforge
