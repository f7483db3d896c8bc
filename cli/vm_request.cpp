// Manifest-carrying control requests for `plan` and `apply`.
#include "cli/vm_request.hpp"

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"

namespace vmforge::cli {

Result<JsonValue> send_manifest(const Vm& vm, std::string_view request, const std::optional<std::string>& runtime_dir,
                                const std::vector<std::pair<std::string_view, bool>>& flags,
                                std::chrono::milliseconds timeout) {
  VMFORGE_TRY(auto client, connect_vm(vm.name, runtime_dir));
  std::error_code ec;
  auto absolute = std::filesystem::absolute(vm.source_path, ec);
  JsonWriter w;
  w.begin_object().field("request", request);
  w.field("path", ec ? vm.source_path : absolute.string());
  w.field("text", vm.source_text);
  for (const auto& [name, value] : flags) w.field(name, value);
  w.end_object();
  return client.call(w.str(), timeout);
}

Result<VmPlan> request_plan(const Vm& vm, const std::optional<std::string>& runtime_dir,
                            std::chrono::milliseconds timeout) {
  VMFORGE_TRY(JsonValue reply, send_manifest(vm, "plan", runtime_dir, {}, timeout));
  const JsonValue* diff_json = reply.find("diff");
  auto text = reply.get_string("text");
  auto changes = reply.get_uint64("changes");
  if (!diff_json || !text || !changes) {
    return unexpected(Error("The supervisor's reply lacks 'diff', 'text' or 'changes'.", EBADMSG));
  }
  return VmPlan{*diff_json, std::string(*text), *changes};
}

}  // namespace vmforge::cli
