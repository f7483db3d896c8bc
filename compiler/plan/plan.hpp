// Plan: what `vmforge run` executes for a manifest: the frozen QEMU argv and the hotplug steps
// applied over QMP while QEMU is paused (and, with the same builders, later live changes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model/resource_kind.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge {

struct Vm;

/// The QMP monitor listens on this inherited fd: the supervisor creates the listening unix
/// socket `<state dir>/qmp.sock` and maps it to fd 3 in the QEMU child.
inline constexpr int kQmpListenFd = 3;

/// The chardev id of that monitor (reserved: user ids cannot start with "vmforge").
inline constexpr std::string_view kQmpChardevId = "vmforge-qmp";

/// A file `run` opens before QEMU starts and passes as fd `fd`: the argv's `-add-fd fd=N,set=N`.
struct HostFile {
  int fd = -1;
  PassedFile file;
};

/// One step of a plan. `resource` names what it belongs to ("disk:data1"); `undo` reverts the
/// step when a later step of the same change fails (none for steps that cannot be reverted).
struct PlanStep {
  std::string resource;
  QmpCall call;
  std::optional<QmpCall> undo;
};

/// `argv` holds the arguments after the program name; `run` executes `qemu_binary` with
/// exactly these, fd 3 being the QMP listening socket.
struct Plan {
  std::string name;
  std::string qemu_binary;
  std::string manifest_sha256;
  std::vector<std::string> argv;
  std::vector<PlanStep> steps;
  /// Opened by `run` (as the supervisor's user) and inherited by QEMU at their numbers.
  std::vector<HostFile> files;
};

/// The JSON `vmforge compile` prints: {"name","qemu","argv":[...],"plan":[...],
/// "manifest_sha256"}, one argv element and one step per line so diffs stay readable.
std::string render_plan_json(const Plan& plan);

/// The host step of a file with `create`: "create image '/a.qcow2' qcow2 8G over '/b.raw' (raw)
/// if missing".
std::string describe_create(const PassedFile& file);

/// One step as {"resource","command","arguments","completion","undo"}.
std::string render_step_json(const PlanStep& step);

}  // namespace vmforge
