// StateDir: where one VM's runtime files live (sockets, pidfile, lock, last applied manifest).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// Paths of the files in a VM's state directory. All absolute or relative to the caller's
/// working directory, exactly as the root was given.
struct StateDir {
  std::string dir;

  std::string qmp_socket() const { return dir + "/qmp.sock"; }
  std::string control_socket() const { return dir + "/control.sock"; }
  std::string qemu_pidfile() const { return dir + "/qemu.pid"; }
  std::string lock_file() const { return dir + "/lock"; }
  std::string qemu_log() const { return dir + "/qemu.log"; }
  /// [[serial]] backend 'console': QEMU serves the port here (the supervisor its one client)...
  std::string serial_socket() const { return dir + "/serial.sock"; }
  /// ...and the supervisor serves `vmforge console` here, and logs every byte here.
  std::string console_socket() const { return dir + "/console.sock"; }
  std::string console_log() const { return dir + "/console.log"; }
  std::string applied_manifest() const { return dir + "/manifest.toml"; }
  std::string applied_manifest_path() const { return dir + "/manifest.path"; }
  /// Where the snapshot chain record was until it moved beside the disks' files
  /// (supervisor/core/disk_chains.hpp): read, then removed at the next save.
  std::string disk_chains() const { return dir + "/disk-chains.json"; }
};

/// Checks a VM name as it appears in a path: [A-Za-z0-9_.-], not empty, not "." or "..".
Result<void> check_vm_name(std::string_view name);

/// The root holding every VM's state directory, first match wins: `runtime_root` (from
/// --runtime-dir), $VMFORGE_RUNTIME_DIR, the parent of $RUNTIME_DIRECTORY (systemd's
/// RuntimeDirectory=vmforge/%i), /run/vmforge as root, $XDG_RUNTIME_DIR/vmforge otherwise.
Result<std::string> resolve_runtime_root(const std::optional<std::string>& runtime_root);

/// Resolves the state directory of VM `name`: ROOT/NAME, ROOT from resolve_runtime_root(); when
/// $RUNTIME_DIRECTORY decides (no --runtime-dir, no $VMFORGE_RUNTIME_DIR), that directory itself,
/// which must end in `name` (the unit instance of vmforge@NAME.service).
/// Fails when none applies or when the socket paths would not fit in sockaddr_un.
Result<StateDir> resolve_state_dir(std::string_view name, const std::optional<std::string>& runtime_root);

/// Creates the directory (and missing parents) with mode 0700 for the last component.
Result<void> create_state_dir(const StateDir& state);

}  // namespace vmforge::supervisor
