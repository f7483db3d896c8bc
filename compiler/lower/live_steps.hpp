// Live-only steps: QMP calls that change a running device in place (link state, balloon
// target, disk size; removable media in media_steps.hpp). Plugging and unplugging stay with
// plug_steps/unplug_steps.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "compiler/lower/lower.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge {

/// `set_link` for NIC `id`; its undo sets the opposite state.
PlanStep set_link_step(std::string_view id, bool up);

/// `balloon` of balloon `id` to `target` bytes, complete on the reply (the guest follows at its
/// own pace); its undo asks for `previous` again (no undo without one: the boot plan).
PlanStep balloon_step(std::string_view id, std::uint64_t target, std::optional<std::uint64_t> previous);

/// `block_resize` of `disk`'s active format node (its top snapshot layer, which the guest sees,
/// else its own) to `size` bytes. No undo: undoing a growth would shrink the image, which
/// vmforge never does.
PlanStep resize_step(const Disk& disk, std::uint64_t size);

}  // namespace vmforge
