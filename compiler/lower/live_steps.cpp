// Builders of the QMP calls that change live devices in place.
#include "compiler/lower/live_steps.hpp"

#include "compiler/base/json_writer.hpp"
#include "compiler/lower/context.hpp"

namespace vmforge {

PlanStep set_link_step(std::string_view id, bool up) {
  auto make = [&](bool state) {
    return reply_call("set_link", json_object([&](JsonWriter& w) { w.field("name", id).field("up", state); }));
  };
  return PlanStep{ResourceKey{ResourceKind::net, std::string(id)}.str(), make(up), make(!up)};
}

PlanStep balloon_step(std::string_view id, std::uint64_t target, std::optional<std::uint64_t> previous) {
  auto call = [](std::uint64_t bytes) {
    return reply_call("balloon", json_object([&](JsonWriter& w) { w.field("value", bytes); }));
  };
  PlanStep step{ResourceKey{ResourceKind::balloon, std::string(id)}.str(), call(target), std::nullopt};
  if (previous) step.undo = call(*previous);
  return step;
}

}  // namespace vmforge
