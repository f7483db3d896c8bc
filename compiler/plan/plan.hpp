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

namespace vmforge {

struct Vm;

/// The QMP monitor listens on this inherited fd: the supervisor creates the listening unix
/// socket `<state dir>/qmp.sock` and maps it to fd 3 in the QEMU child.
inline constexpr int kQmpListenFd = 3;

/// The chardev id of that monitor (reserved: user ids cannot start with "vmforge").
inline constexpr std::string_view kQmpChardevId = "vmforge-qmp";

/// When a QMP call counts as done: its reply, or an event naming the device (unplug waits for
/// DEVICE_DELETED with data.device == device_id, never for device_del's reply alone). A
/// `device_id` starting with '/' is a QOM path matched against data.path instead: QEMU 7.2
/// reports a CPU's removal only as DEVICE_DELETED{path: ".../<cpu id>/lapic"} (qemu-facts §4.1).
/// (Kind is scoped: an unscoped `event` enumerator would clash with the `event` member.)
struct Completion {
  enum class Kind { reply, event };
  Kind kind = Kind::reply;
  std::string event;
  std::string device_id;
  std::uint32_t timeout_ms = 0;
};

/// How the supervisor opens a file it hands to QEMU, which may not be allowed to open it
/// itself (it runs as an unprivileged user). QEMU reads it as "/dev/fdset/N".
/// create: write-only, made 0600 or truncated; append: write-only, made 0600 or appended to.
enum class FileOpen { read, read_write, create, append };

struct PassedFile {
  std::string path;
  FileOpen open = FileOpen::read;
  bool operator==(const PassedFile&) const = default;
};

/// "read", "read-write", "create", "append".
std::string_view to_string(FileOpen open);

struct QmpCall {
  std::string command;
  std::string arguments;  // JSON object text, e.g. {"id":"data1"}
  Completion completion;
  /// Opened by the supervisor when the call is sent, and sent with it (SCM_RIGHTS): add-fd.
  std::optional<PassedFile> file = std::nullopt;
};

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

/// One step as {"resource","command","arguments","completion","undo"}.
std::string render_step_json(const PlanStep& step);

}  // namespace vmforge
