// Rendering a Plan as the JSON `vmforge compile` prints and goldens hold.
#include "compiler/plan/plan.hpp"

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "compiler/model/units.hpp"

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
  w.begin_object().field("path", file.path).field("open", to_string(file.open));
  if (file.create) {
    const ImageCreate& c = *file.create;
    w.key("create").begin_object().field("step", describe_create(file)).field("format", c.format);
    w.key("size");
    if (c.size) w.value(*c.size);
    else w.null();
    w.field("backing_file", c.backing_file).field("backing_format", c.backing_format).end_object();
  }
  w.end_object();
}

void write_call_members(JsonWriter& w, const QmpCall& call) {
  w.field("command", call.command);
  w.key("arguments").raw(call.arguments);
  w.key("completion");
  write_completion(w, call.completion);
  if (call.file) write_file(w.key("file"), *call.file);
}

}  // namespace

std::string describe_create(const PassedFile& file) {
  const ImageCreate& c = *file.create;
  std::string out = fmt::format("create image '{}' {}", file.path, c.format);
  if (c.size) out += ' ' + ByteSize(*c.size).to_string();
  if (!c.backing_file.empty()) out += fmt::format(" over '{}' ({})", c.backing_file, c.backing_format);
  return out + " if missing";
}

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
