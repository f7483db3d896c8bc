// Builders of the QMP calls that change live devices in place.
#include "compiler/lower/live_steps.hpp"

#include "compiler/base/json_writer.hpp"
#include "compiler/lower/context.hpp"
#include "compiler/lower/io_limits.hpp"
#include "compiler/qmp/ops_block.hpp"
#include "compiler/qmp/ops_memory.hpp"
#include "compiler/qmp/ops_net.hpp"

namespace vmforge {

PlanStep set_link_step(std::string_view id, bool up) {
  return PlanStep{ResourceKey{ResourceKind::net, std::string(id)}.str(), qmp::set_link(id, up), qmp::set_link(id, !up)};
}

PlanStep balloon_step(std::string_view id, std::uint64_t target, std::optional<std::uint64_t> previous) {
  PlanStep step{ResourceKey{ResourceKind::balloon, std::string(id)}.str(), qmp::balloon(target), std::nullopt};
  if (previous) step.undo = qmp::balloon(*previous);
  return step;
}

PlanStep resize_step(const Disk& disk, std::uint64_t size) {
  return PlanStep{ResourceKey{ResourceKind::disk, disk.id.str()}.str(), qmp::block_resize(active_node(disk), size),
                  std::nullopt};
}

}  // namespace vmforge
