// Changing a cdrom's medium live, and the backend names its steps (and others) create or delete.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge {

struct Vm;

/// The name of the backend a step deletes (blockdev-del node-name, chardev-remove /
/// netdev_del / object-del id), or "" for any other step.
std::string backend_target(const QmpCall& call);
/// The name of the backend a step creates (blockdev-add node-name, chardev-add / netdev_add /
/// object-add id), or "".
std::string backend_created(const QmpCall& call);

/// Swaps the medium of cdrom `id`: open the tray (forced), remove the medium, delete the old
/// nodes (`running`'s unplug steps), add the new ones (`desired`'s plug steps), insert, close.
/// Every step but the last has an undo, so a failure puts the old medium back.
Result<std::vector<PlanStep>> change_media_steps(const Vm& running, const Vm& desired, std::string_view id);

}  // namespace vmforge
