// Live-only steps: QMP calls that change a running device in place (link state, removable
// media, balloon target). Plugging and unplugging stay with plug_steps/unplug_steps;
// these reuse their backend steps wherever a backend is involved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/plan.hpp"

namespace vmforge {

struct Vm;

/// The name of the backend a step deletes (blockdev-del node-name, chardev-remove /
/// netdev_del / object-del id), or "" for any other step.
std::string backend_target(const QmpCall& call);
/// The name of the backend a step creates (blockdev-add node-name, chardev-add / netdev_add /
/// object-add id), or "".
std::string backend_created(const QmpCall& call);

/// `set_link` for NIC `id`; its undo sets the opposite state.
PlanStep set_link_step(std::string_view id, bool up);

/// `balloon` of balloon `id` to `target` bytes, complete on the reply (the guest follows at its
/// own pace); its undo asks for `previous` again (no undo without one: the boot plan).
PlanStep balloon_step(std::string_view id, std::uint64_t target, std::optional<std::uint64_t> previous);

/// Swaps the medium of cdrom `id`: open the tray (forced), remove the medium, delete the old
/// nodes (`running`'s unplug steps), add the new ones (`desired`'s plug steps), insert, close.
/// Every step but the last has an undo, so a failure puts the old medium back.
Result<std::vector<PlanStep>> change_media_steps(const Vm& running, const Vm& desired, std::string_view id);

}  // namespace vmforge
