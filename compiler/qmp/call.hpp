// QmpCall: one QMP call as data (command, arguments, when it counts as done, the file sent
// with it). The lowering writes plans of them, the typed builders (ops_*.hpp) return them, and
// the QMP client executes them. Pure: no sockets, no processes, nothing of manifests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmforge {

/// When a QMP call counts as done: its reply, or an event naming the device (unplug waits for
/// DEVICE_DELETED with data.device == device_id, never for device_del's reply alone). A
/// `device_id` starting with '/' is a QOM path matched against data.path instead: QEMU 7.2
/// reports a CPU's removal only as DEVICE_DELETED{path: ".../<cpu id>/lapic"} (qemu-facts §4.1).
/// An empty `device_id` accepts any event named `event` (SHUTDOWN, DUMP_COMPLETED).
/// `timeout_ms` is a plan's limit for the reply and the event (0: the executor's default).
/// (Kind is scoped: an unscoped `event` enumerator would clash with the `event` member.)
struct Completion {
  enum class Kind { reply, event };
  Kind kind = Kind::reply;
  std::string event;
  std::string device_id;
  std::uint32_t timeout_ms = 0;
  /// Further ids whose `event` must come too: a transaction that starts several jobs.
  std::vector<std::string> more_device_ids = {};
};

/// How the supervisor opens a file it hands to QEMU, which may not be allowed to open it
/// itself (it runs as an unprivileged user). QEMU reads it as "/dev/fdset/N".
/// create: write-only, made 0600 or truncated; append: write-only, made 0600 or appended to.
enum class FileOpen { read, read_write, create, append };

/// A disk image the supervisor creates before opening it, when (and only when) `path` does not
/// exist: an existing image is never recreated or truncated. A host step, not a QMP call.
struct ImageCreate {
  std::string format;                                // "raw" or "qcow2"
  std::optional<std::uint64_t> size = std::nullopt;  // bytes; absent: the backing image's virtual size
  std::string backing_file = {};                     // qcow2 overlay: its base ("" for none)
  std::string backing_format = {};
  bool operator==(const ImageCreate&) const = default;
};

struct PassedFile {
  std::string path;
  FileOpen open = FileOpen::read;
  std::optional<ImageCreate> create = std::nullopt;
  bool operator==(const PassedFile&) const = default;
};

/// "read", "read-write", "create", "append".
std::string_view to_string(FileOpen open);

struct QmpCall {
  std::string command;
  std::string arguments = {};  // JSON object text, e.g. {"id":"data1"}; empty when there are none
  Completion completion = {};
  /// Opened by the supervisor when the call is sent, and sent with it (SCM_RIGHTS): add-fd.
  std::optional<PassedFile> file = std::nullopt;
};

}  // namespace vmforge
