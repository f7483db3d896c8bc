// PlanVm: QEMU started from a compiled Plan the way `vmforge run` starts it (paused, QMP on an
// inherited listening socket at fd 3), and the check that what QEMU reports over QMP is exactly
// what the plan's argv and steps describe.
#pragma once

#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/launch/process.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace vmforge::test {

struct PlanVm {
  launch::Process qemu;
  qmp::BlockingClient qmp;
};

/// Spawns plan.qemu_binary with plan.argv, the listening socket `dir/qmp.sock` as fd 3 and
/// `fds` mapped as given, and connects to the monitor. On early exit the Error carries QEMU's
/// stderr.
Result<PlanVm> start_plan(const Plan& plan, const TempDir& dir, std::vector<launch::FdMapping> fds = {});

/// Executes `steps` in order; the first failure is returned with the step that failed.
Result<void> apply_steps(qmp::BlockingClient& qmp, const std::vector<PlanStep>& steps);

/// qom-get `property` of the object at QOM `path`.
Result<JsonValue> qom_get(qmp::BlockingClient& qmp, const std::string& path, std::string_view property);

/// "key=value,..." option text (as KvOption writes it) split back into its items: a bare item
/// comes back with an empty key; ",," is a literal comma.
std::vector<std::pair<std::string, std::string>> split_option(const std::string& text);

/// Every way QEMU differs from the plan, one line each (empty: QEMU has exactly what the plan
/// says): each -device/device_add JSON as a peripheral with those property values (qom-get;
/// `bus` via parent_bus, `addr` via query-pci and qom-get), each -blockdev/blockdev-add as a
/// named node (query-named-block-nodes), each -object/object-add under /objects with its
/// properties, each -chardev/chardev-add as a chardev (query-chardev; file backends by the
/// file created for QEMU), each file passed (Plan::files, add-fd) in its fd set with its path
/// (query-fdsets). `with_steps`: include what the plan's steps add.
std::vector<std::string> plan_mismatches(qmp::BlockingClient& qmp, const Plan& plan, bool with_steps);

}  // namespace vmforge::test
