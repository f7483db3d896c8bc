// Restart keys: the parts of a manifest that live only in QEMU's frozen argv, compared between
// the manifest the VM runs and the desired one. Any difference there needs a restart.
#pragma once

#include <string>
#include <vector>

namespace vmforge {

struct Vm;

struct RestartKey {
  /// The manifest key, as `check` names it: "[cpu] 'max'", "rng 'rng0'", "[machine]".
  std::string key;
  /// Why QEMU cannot change it live.
  std::string reason;
  /// "'q35' -> 'pc'" or "added" / "removed" / "changed".
  std::string detail;
};

/// Every argv-only difference between `running` and `desired`, in manifest order. Devices the
/// live diff handles (disks, NICs, serial ports, ...), CPU count and DIMMs are not listed here.
/// Settings that only the supervisor uses (`[supervisor]`) and the number of spare hotplug
/// slots (they take effect at the next start, nothing is lost by waiting) are not either.
std::vector<RestartKey> restart_keys(const Vm& running, const Vm& desired);

}  // namespace vmforge
