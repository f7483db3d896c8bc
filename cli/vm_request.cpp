// Manifest-carrying control requests for `plan` and `apply`.
#include "cli/vm_request.hpp"

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "cli/disk_layers.hpp"
#include "cli/vm_connect.hpp"

namespace vmforge::cli {

supervisor::ManifestSource manifest_source(const Vm& vm) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(vm.source_path, ec);
  return {ec ? vm.source_path : absolute.string(), vm.source_text};
}

Result<JsonValue> request_apply(const Vm& vm, const std::optional<std::string>& runtime_dir, bool allow_restart,
                                const supervisor::StatusCallback& on_status) {
  VMFORGE_TRY(auto client, connect_vm(vm.name, runtime_dir));
  return client.apply(manifest_source(vm), {.allow_restart = allow_restart, .on_status = on_status});
}

Result<VmPlan> request_plan(const Vm& vm, const std::optional<std::string>& runtime_dir,
                            std::chrono::milliseconds timeout) {
  VMFORGE_TRY(auto client, connect_vm(vm.name, runtime_dir));
  return vm_plan(client.plan(manifest_source(vm), timeout));
}

Result<VmPlan> vm_plan(Result<JsonValue> answer) {
  VMFORGE_TRY(JsonValue reply, std::move(answer));
  const JsonValue* diff_json = reply.find("diff");
  auto text = reply.get_string("text");
  auto changes = reply.get_uint64("changes");
  if (!diff_json || !text || !changes) {
    return unexpected(Error("The supervisor's reply lacks 'diff', 'text' or 'changes'.", EBADMSG));
  }
  return VmPlan{*diff_json, std::string(*text), *changes, describe_layers(reply.find("layers"))};
}

}  // namespace vmforge::cli
