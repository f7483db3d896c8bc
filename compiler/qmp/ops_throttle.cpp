// Throttle group and BlockBackend throttling builders.
#include "compiler/qmp/ops_throttle.hpp"

#include <fmt/format.h>

#include "compiler/qmp/arguments.hpp"

namespace vmforge::qmp {
namespace {

std::string limits_object(const ThrottleLimits& limits) {
  Arguments a;
  for (const auto& [name, value] : limits) a.set(name, value);
  return a.take();
}

}  // namespace

std::string arguments(const ThrottleGroupAdd& group) {
  return Arguments()
      .set("qom-type", "throttle-group")
      .set("id", group.id)
      .set_json("limits", limits_object(group.limits))
      .take();
}

QmpCall object_add_throttle_group(const ThrottleGroupAdd& group) { return {"object-add", arguments(group), {}}; }

QmpCall throttle_group_set_limits(std::string_view id, const ThrottleLimits& limits) {
  return {"qom-set",
          Arguments()
              .set("path", fmt::format("/objects/{}", id))
              .set("property", "limits")
              .set_json("value", limits_object(limits))
              .take(),
          {}};
}

QmpCall block_set_io_throttle(std::string_view qdev, const ThrottleLimits& limits,
                              std::optional<std::string_view> group) {
  Arguments a;
  a.set("id", qdev);
  for (const auto& [name, value] : limits) a.set(name, value);
  if (group) a.set("group", *group);
  return {"block_set_io_throttle", a.take(), {}};
}

}  // namespace vmforge::qmp
