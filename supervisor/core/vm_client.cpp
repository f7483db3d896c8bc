// VmClient: request lines built with JsonWriter, STATUS events handed to the caller.
#include "supervisor/core/vm_client.hpp"

#include <cerrno>

#include "compiler/base/json_writer.hpp"
#include "supervisor/core/state_dir.hpp"

namespace vmforge::supervisor {
namespace {

// A STATUS event's text, or nullopt for any other line.
std::optional<std::string> status_text(const JsonValue& line) {
  if (line.get_string("event") != "STATUS") return std::nullopt;
  const JsonValue* data = line.find("data");
  auto text = data ? data->get_string("status") : std::nullopt;
  if (!text) return std::nullopt;
  return std::string(*text);
}

}  // namespace

Result<VmClient> VmClient::connect(std::string_view name, const std::optional<std::string>& runtime_dir) {
  VMFORGE_TRY(auto state, resolve_state_dir(name, runtime_dir));
  VMFORGE_TRY(ControlClient client, ControlClient::connect(state.control_socket(), name));
  return VmClient(std::move(client));
}

Result<JsonValue> VmClient::status(std::chrono::milliseconds timeout) {
  return client_.call(R"({"request":"status"})", timeout);
}

Result<JsonValue> VmClient::plan(const ManifestSource& manifest, std::chrono::milliseconds timeout) {
  return manifest_request("plan", manifest, false, timeout, {});
}

Result<void> VmClient::send_plan(const ManifestSource& manifest) {
  return client_.send(manifest_request_line("plan", manifest, false));
}

Result<JsonValue> VmClient::read_reply(std::chrono::milliseconds timeout) {
  VMFORGE_TRY(std::string line, client_.read_line(timeout));
  return reply_value(line);
}

Result<JsonValue> VmClient::apply(const ManifestSource& manifest, const ApplyOptions& options) {
  return manifest_request("apply", manifest, options.allow_restart, options.timeout, options.on_status);
}

Result<void> VmClient::stop(const StopOptions& options) {
  VMFORGE_TRY(JsonValue begun, call_with_status(R"({"request":"stop"})", kRequestTimeout, options.on_status));
  (void)begun;
  if (!options.wait) return {};
  // The supervisor closes every connection when it exits, once QEMU is gone.
  for (;;) {
    auto line = client_.read_line();
    if (!line) return line.error().errno_value == ECONNRESET ? Result<void>() : unexpected(std::move(line).error());
    auto parsed = parse_json(*line);
    auto text = parsed ? status_text(*parsed) : std::nullopt;
    if (text && options.on_status) options.on_status(*text);
  }
}

Result<JsonValue> VmClient::qmp(std::string_view command_json, std::chrono::milliseconds timeout) {
  VMFORGE_TRY(JsonValue command, parse_json(command_json));
  JsonWriter w;
  w.begin_object().field("request", "qmp").key("command").raw(command.to_json()).end_object();
  return client_.call(w.str(), timeout);
}

Result<void> VmClient::subscribe_events() {
  VMFORGE_TRY(JsonValue subscribed, client_.call(R"({"request":"events"})", kRequestTimeout));
  (void)subscribed;
  return {};
}

Result<JsonValue> VmClient::next_event(std::chrono::milliseconds timeout) {
  VMFORGE_TRY(std::string line, client_.read_line(timeout));
  return parse_json(line);
}

std::string VmClient::manifest_request_line(std::string_view request, const ManifestSource& manifest,
                                            bool allow_restart) {
  JsonWriter w;
  w.begin_object().field("request", request).field("path", manifest.path).field("text", manifest.text);
  if (request == "apply") w.field("allow_restart", allow_restart);
  w.end_object();
  return w.take();
}

Result<JsonValue> VmClient::manifest_request(std::string_view request, const ManifestSource& manifest,
                                             bool allow_restart, std::chrono::milliseconds timeout,
                                             const StatusCallback& on_status) {
  return call_with_status(manifest_request_line(request, manifest, allow_restart), timeout, on_status);
}

// With a callback: subscribed first, so the STATUS events of this request reach it while the
// reply is awaited.
Result<JsonValue> VmClient::call_with_status(std::string_view request_line, std::chrono::milliseconds timeout,
                                             const StatusCallback& on_status) {
  if (!on_status) return client_.call(request_line, timeout);
  VMFORGE_TRY_VOID(subscribe_events());
  VMFORGE_TRY_VOID(client_.send(request_line));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return unexpected(Error("The supervisor did not answer in time.", ETIMEDOUT));
    VMFORGE_TRY(std::string line, client_.read_line(left));
    auto parsed = parse_json(line);
    if (parsed && parsed->find("event")) {
      if (auto text = status_text(*parsed)) on_status(*text);
      continue;
    }
    return reply_value(line);
  }
}

}  // namespace vmforge::supervisor
