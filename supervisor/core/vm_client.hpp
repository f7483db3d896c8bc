// VmClient: a running VM's supervisor, reached by the VM's name through its control socket
// (<state dir>/control.sock), with one method per request: status, events, plan, apply, stop
// and raw QMP. For programs that embed vmforge (<vmforge/control.hpp>) and for the vmforge
// command itself, so nobody writes the JSON lines of control_protocol.hpp by hand.
//
//   auto vm = vmforge::supervisor::VmClient::connect("web");          // as `vmforge status web`
//   if (!vm) return fail(vm.error().message);                         // "VM 'web' is not running ..."
//   auto status = vm->status();                                       // {"run_state": "running", ...}
//   auto plan = vm->plan({"/etc/vmforge/web.toml", text});            // {"changes": N, "text", "diff"}
//   auto applied = vm->apply({"/etc/vmforge/web.toml", text}, {.allow_restart = false});
//   vm->stop({.wait = true, .on_status = [](std::string_view s) { std::puts(s.data()); }});
//
// Replies are the supervisor's JSON values (README "Control socket" lists their members). All
// calls block; each VmClient is one connection, used by one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/control_client.hpp"

namespace vmforge::supervisor {

/// A manifest as the supervisor takes it: the path it is known by (status reports it) and
/// its text (the supervisor does not read the file itself).
struct ManifestSource {
  std::string path;
  std::string text;
};

/// Called with each STATUS the supervisor announces while a request runs ("Pressing the power
/// button ...", an apply's steps).
using StatusCallback = std::function<void(std::string_view status)>;

struct ApplyOptions {
  bool allow_restart = false;  // a change that needs a restart restarts QEMU instead of failing
  StatusCallback on_status;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);  // unplugs wait for the guest
};

struct StopOptions {
  bool wait = true;  // return once the supervisor has exited, not once the stop has begun
  StatusCallback on_status;
};

class VmClient {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout = std::chrono::seconds(30);

  /// The supervisor of VM `name`. Its state directory is found as the vmforge command finds it:
  /// under `runtime_dir` if given, else $VMFORGE_RUNTIME_DIR, $RUNTIME_DIRECTORY's parent,
  /// /run/vmforge (root) or $XDG_RUNTIME_DIR/vmforge. ENOENT/ECONNREFUSED: it is not running.
  static Result<VmClient> connect(std::string_view name, const std::optional<std::string>& runtime_dir = std::nullopt);

  /// The VM's state: "name", "state" (the supervisor's), "run_state" (QEMU's), "healthy",
  /// "qemu_pid", "supervisor_pid", "manifest", "manifest_sha256", "state_dir", ...
  Result<JsonValue> status(std::chrono::milliseconds timeout = kRequestTimeout);
  /// What applying `manifest` would change: "changes" (a count), "text" (as `vmforge plan`
  /// prints it), "diff" (as `vmforge plan --json`).
  Result<JsonValue> plan(const ManifestSource& manifest, std::chrono::milliseconds timeout = kRequestTimeout);
  /// plan() in two halves, to ask many supervisors at once (`vmforge plan DIR`): the request
  /// goes out now, its reply is read by read_reply().
  Result<void> send_plan(const ManifestSource& manifest);
  Result<JsonValue> read_reply(std::chrono::milliseconds timeout = kRequestTimeout);
  /// Makes the VM match `manifest`, live where possible: "ok", "message", "restarted",
  /// "steps", and the plan's members. A failed apply is a reply with "ok": false (the VM as it
  /// was); an Error means the request itself failed.
  Result<JsonValue> apply(const ManifestSource& manifest, const ApplyOptions& options = {});
  /// Asks the supervisor to stop the VM: ACPI power button, then quit, then kill.
  Result<void> stop(const StopOptions& options = {});
  /// Sends one QMP command ({"execute": ..., "arguments": {...}} as JSON text); QEMU's return value.
  Result<JsonValue> qmp(std::string_view command_json, std::chrono::milliseconds timeout = kRequestTimeout);

  /// From now on the connection carries events; read them with next_event(). No other request
  /// may be made on this connection afterwards.
  Result<void> subscribe_events();
  /// The next event: {"event", "source": "qmp"|"supervisor", "data", "timestamp"?}. ECONNRESET
  /// once the supervisor has exited; ETIMEDOUT after `timeout` (zero: wait for ever).
  Result<JsonValue> next_event(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// The connection, for requests without a method here.
  ControlClient& connection() { return client_; }

 private:
  explicit VmClient(ControlClient client) : client_(std::move(client)) {}
  static std::string manifest_request_line(std::string_view request, const ManifestSource& manifest,
                                           bool allow_restart);
  Result<JsonValue> manifest_request(std::string_view request, const ManifestSource& manifest, bool allow_restart,
                                     std::chrono::milliseconds timeout, const StatusCallback& on_status);
  Result<JsonValue> call_with_status(std::string_view request_line, std::chrono::milliseconds timeout,
                                     const StatusCallback& on_status);

  ControlClient client_;
};

}  // namespace vmforge::supervisor
