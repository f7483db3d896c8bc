// Which manifest vmforge@NAME.service runs: the unit's ExecStart runs ${VMFORGE_MANIFEST},
// NAME.toml of unit_manifest_dir() unless a drop-in sets it. `apply DIR` for a DIR elsewhere
// writes that drop-in, so the unit it starts runs DIR's manifest.
#pragma once

#include <string>

#include "compiler/base/result.hpp"
#include "supervisor/sd/bus.hpp"

namespace vmforge::cli {

/// The service manager vmforge works with: the system's as root, else the calling user's.
sd::ManagerScope own_manager();

/// The unit's own manifest directory, `plan` and `apply` without DIR: sysconfdir/vmforge for
/// the system manager, $XDG_CONFIG_HOME/vmforge (~/.config/vmforge) for a user's (its %E).
std::string unit_manifest_dir(sd::ManagerScope scope);

/// unit_manifest_dir() for --help: both places.
inline constexpr const char* kUnitManifestDirHelp = VMFORGE_SYSCONFDIR "/vmforge as root, else ~/.config/vmforge";

/// The unit's instance name for VM `name`.
std::string unit_name(const std::string& name);

/// Makes vmforge@NAME.service run `manifest` (an absolute path): no drop-in when it is the
/// unit's own NAME.toml, else `50-vmforge-manifest.conf` in the manager's runtime drop-in
/// directory (/run/systemd/system/vmforge@NAME.service.d/), or in its persistent one (/etc/...)
/// when `persistent` (an enabled unit must run the same manifest after a reboot); the one in
/// the other place is removed. Returns whether a file changed (the manager must then reload).
Result<bool> point_unit_at(const std::string& name, const std::string& manifest, sd::ManagerScope scope,
                           bool persistent);

}  // namespace vmforge::cli
