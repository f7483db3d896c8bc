// Throttle group and throttle node builders.
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

std::string object_path(std::string_view id) { return fmt::format("/objects/{}", id); }

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
              .set("path", object_path(id))
              .set("property", "limits")
              .set_json("value", limits_object(limits))
              .take(),
          {}};
}

QmpCall throttle_group_get_limits(std::string_view id) {
  return {"qom-get", Arguments().set("path", object_path(id)).set("property", "limits").take(), {}};
}

std::string arguments(const BlockdevThrottle& node) {
  Arguments a;
  a.set("driver", "throttle").set("node-name", node.node_name).set("throttle-group", node.group).set("file", node.file);
  if (node.read_only) a.set("read-only", true);
  return a.take();
}

QmpCall blockdev_add(const BlockdevThrottle& node) { return {"blockdev-add", arguments(node), {}}; }

}  // namespace vmforge::qmp
