// Swapping a cdrom's medium, built from the disk's own plug and unplug steps, and the names of
// the backends such steps create or delete (read back from the steps' arguments).
#include "compiler/lower/media_steps.hpp"

#include <set>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/lower/context.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/model/model.hpp"
#include "compiler/qmp/ops_block.hpp"

namespace vmforge {
namespace {

std::string string_arg(const QmpCall& call, std::string_view key) {
  auto args = parse_json(call.arguments);
  if (!args) return {};
  auto value = args->get_string(key);
  return value ? std::string(*value) : std::string();
}

Vm as_hotplug(const Vm& vm, std::string_view id) {
  Vm copy = vm;
  for (Disk& disk : copy.disks) {
    if (disk.id.str() == id) disk.hotplug = true;
  }
  return copy;
}

}  // namespace

std::string backend_target(const QmpCall& call) {
  if (call.command == "blockdev-del") return string_arg(call, "node-name");
  if (call.command == "chardev-remove" || call.command == "netdev_del" || call.command == "object-del") {
    return string_arg(call, "id");
  }
  return {};
}

std::string backend_created(const QmpCall& call) {
  if (call.command == "blockdev-add") return string_arg(call, "node-name");
  if (call.command == "chardev-add" || call.command == "netdev_add" || call.command == "object-add") {
    return string_arg(call, "id");
  }
  return {};
}

Result<std::vector<PlanStep>> change_media_steps(const Vm& running, const Vm& desired, std::string_view id) {
  const ResourceKey disk{ResourceKind::disk, std::string(id)};
  const std::string resource = disk.str();
  // The builders refuse argv disks (hotplug = false); only their backend steps are used here,
  // which are the same for a cdrom in the argv.
  VMFORGE_TRY(auto old_steps, unplug_steps(as_hotplug(running, id), disk));
  VMFORGE_TRY(auto old_plug, plug_steps(as_hotplug(running, id), disk));
  VMFORGE_TRY(auto new_steps, plug_steps(as_hotplug(desired, id), disk));
  std::string top_node;
  for (const PlanStep& s : new_steps) {
    if (s.call.command == "device_add") top_node = string_arg(s.call, "drive");
  }
  if (top_node.empty()) {
    return unexpected(Error(fmt::format("the plug steps of '{}' attach no drive", resource)));
  }

  // The old medium's files, put in their own fd sets first: an undo re-creates its nodes from
  // those sets, which a cdrom from the argv (its medium in a set of Plan::files) never had. The
  // sets stay when the swap is undone (the nodes use them, observation reads their paths) and
  // go once the new medium is in.
  std::vector<PlanStep> reopen_old;
  std::vector<PlanStep> close_old;
  for (const PlanStep& s : old_plug) {
    if (!s.call.file || !s.undo) continue;
    reopen_old.push_back({resource, s.call, std::nullopt});
    close_old.push_back({resource, *s.undo, s.call});
  }

  std::vector<PlanStep> steps = std::move(reopen_old);
  steps.push_back({resource, qmp::blockdev_open_tray(id, true), qmp::blockdev_close_tray(id)});
  steps.push_back({resource, qmp::blockdev_remove_medium(id), qmp::blockdev_insert_medium(id, top_node)});
  // An old node comes back (as it was created) when a later step fails: the old medium returns.
  for (PlanStep& s : old_steps) {
    const std::string node = backend_target(s.call);
    if (node.empty()) continue;
    for (const PlanStep& add : old_plug) {
      if (backend_created(add.call) == node) s.undo = add.call;
    }
    steps.push_back(std::move(s));
  }
  std::set<std::string> new_sets;
  for (PlanStep& s : new_steps) {
    if (s.call.file && s.undo) new_sets.insert(s.undo->arguments);
    if (!backend_created(s.call).empty() || s.call.file) steps.push_back(std::move(s));
  }
  steps.push_back({resource, qmp::blockdev_insert_medium(id, top_node), qmp::blockdev_remove_medium(id)});
  steps.push_back({resource, qmp::blockdev_close_tray(id), std::nullopt});
  // A path both media have shares one set, which the new medium now uses.
  for (PlanStep& s : close_old) {
    if (!new_sets.count(s.call.arguments)) steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace vmforge
