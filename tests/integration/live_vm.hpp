// LiveVm: one VM "apt" running the test guest under `vmforge run`, its manifests in a temp dir,
// and the CLI and serial-report helpers the live apply tests share.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/serial_report.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/vmforge_cli.hpp"

namespace vmforge::test {

class LiveVm {
 public:
  /// `memory_options`: extra [memory] keys for every manifest (e.g. a shared backend).
  explicit LiveVm(std::string memory_options = "");
  LiveVm(const LiveVm&) = delete;
  LiveVm& operator=(const LiveVm&) = delete;
  /// Stops the supervisor (SIGTERM), which powers the guest down.
  ~LiveVm();

  const TempDir& dir() const { return dir_; }
  SerialReport& report() { return report_; }

  /// The [machine] type of the manifests written from now on: "q35" (with 8 hotplug root
  /// ports) unless this says "pc".
  void use_machine(std::string type) { machine_ = std::move(type); }
  /// Writes `dir/<name>.toml`: the base manifest plus `extra` TOML; cpus is [cpu] count.
  std::string manifest(std::string_view name, std::string_view extra, unsigned cpus = 1, bool link_up = true);

  /// Starts `vmforge run manifest`; its stderr goes to run.log.
  void start(const std::string& manifest);
  /// start(), then waits for the guest's `ready`.
  void boot(const std::string& manifest);

  /// Runs `vmforge <args> --runtime-dir <ours>` to completion.
  CliResult cli(std::vector<std::string> args);
  /// `vmforge plan manifest --json`, which must have changes to show (exit status 2).
  JsonValue plan_json(const std::string& manifest);
  /// `vmforge apply manifest`, which must succeed (its output and the supervisor's log if not).
  void apply(const std::string& manifest);
  /// Checks that the text plan for `manifest` adds `resource` ("fs:fs0") and changes nothing else.
  void check_plan_adds(const std::string& manifest, std::string_view resource);
  /// Checks that the JSON plan for `manifest` removes `resource` ("vsock:vsock0") with exactly
  /// one device_del of `id`, waiting for its DEVICE_DELETED, and nothing else.
  void check_plan_unplugs(const std::string& manifest, std::string_view resource, std::string_view id);
  /// `vmforge qmp apt <json>`: QEMU's reply.
  JsonValue qmp(std::string_view json);
  /// Every block node name QEMU has, sorted, comma-separated.
  std::string block_nodes();

  /// Waits until the guest reports `key` with a value for which `predicate` holds.
  void wait_report(std::string_view key, const std::function<bool(std::string_view)>& predicate);
  /// The supervisor's stderr so far.
  std::string log() const;

  launch::Process& supervisor() { return *supervisor_; }
  void forget_supervisor() { supervisor_.reset(); }

 private:
  TempDir dir_;
  GuestImage guest_;
  SerialReport report_;
  std::string memory_options_;
  std::string machine_ = "q35";
  std::optional<launch::Process> supervisor_;
};

/// A `vmforge plan --json` reply in short: each change as "<symbol> <resource>", each step as
/// its command (with the DEVICE_DELETED wait of an unplug, as "until <event> of '<id>'"), in order.
std::vector<std::string> plan_outline(const JsonValue& plan);
/// The arguments of the first step `command` in `plan`; fails the test if there is none.
JsonValue step_arguments(const JsonValue& plan, std::string_view command);

/// True if the guest's comma-separated `list` has `item`.
bool has(std::string_view list, std::string_view item);

}  // namespace vmforge::test
