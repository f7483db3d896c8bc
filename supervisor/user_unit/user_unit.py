#!/usr/bin/env python3
"""Writes vmforge@.service for a user's service manager (systemctl --user) from the system unit.

One unit text, two managers: the user manager runs the same supervisor, minus what only a
privileged manager can apply. Usage: user_unit.py SYSTEM_UNIT OUTPUT
"""
import sys

# Directives a user manager cannot apply without taking what QEMU needs away.
DROPPED = {
    # No capabilities to bound or hand out: dropping the bounding set needs CAP_SETPCAP.
    "CapabilityBoundingSet", "AmbientCapabilities",
    # Mount, UTS and device-cgroup sandboxing: in a user manager these imply PrivateUsers=,
    # whose user namespace maps only the user, so group access (the kvm group's /dev/kvm) is lost.
    "ProtectSystem", "ReadWritePaths", "ProtectHome", "PrivateTmp", "PrivateMounts",
    "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
    "ProtectClock", "ProtectHostname", "DevicePolicy", "DeviceAllow",
}
# The user manager's counterparts: its configuration directory (%E, $XDG_CONFIG_HOME) holds
# the manifests, and default.target is what it starts.
REPLACED = {
    "Environment": "VMFORGE_MANIFEST=%E/vmforge/%i.toml",
    "WantedBy": "default.target",
}
HEADER = """\
# vmforge@NAME.service for a user's service manager (systemctl --user), generated from the
# system unit (vmforge@.service(8)) without the confinement only a privileged manager can apply.
# It runs the VM described by ~/.config/vmforge/NAME.toml, or by the manifest a drop-in names in
# VMFORGE_MANIFEST ('vmforge apply DIR' writes one for a DIR elsewhere). QEMU runs as the user.
"""


def main(source, output):
    lines = [HEADER]
    for line in open(source, encoding="utf-8"):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        key = stripped.split("=", 1)[0]
        if key in DROPPED:
            continue
        if key in REPLACED:
            line = f"{key}={REPLACED[key]}\n"
        if stripped.startswith("[") and lines[-1] != "\n" and len(lines) > 1:
            lines.append("\n")
        if stripped or lines[-1] != "\n":
            lines.append(line)
    with open(output, "w", encoding="utf-8") as out:
        out.writelines(lines)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
