#!/bin/sh
# `vmforge plan` / `vmforge apply` as an unprivileged user, through that user's own service
# manager (systemctl --user), booted in a systemd sandbox (tests/support/vmforge-sandbox.sh):
# without DIR they take ~/.config/vmforge, the installed user unit vmforge@.service starts the
# VM there (active once the guest runs), QEMU runs as the user, `list` shows the VM under the
# user manager, `plan` exits 2 before and 0 after, and `apply --prune` stops the VM whose
# manifest was deleted (the guest powered off).
# Usage: systemd_user_test.sh BUILD_DIR (env: VMFORGE_SOURCE_DIR, VMFORGE_GUEST_DIR).
set -eu
. "$VMFORGE_SOURCE_DIR/tests/support/vmforge-sandbox.sh"

vmforge_sandbox user "$1"
inside useradd --create-home --user-group vmfuser
uid=$(inside id -u vmfuser)
home=/home/vmfuser
fail_units="user@$uid"
inside systemctl start "user@$uid.service" || fail "the user's service manager did not start"
# as_user CMD...: runs CMD inside as vmfuser, in the environment of its login.
as_user() {
  inside setpriv --reuid="$uid" --regid="$uid" --init-groups \
    env HOME="$home" XDG_RUNTIME_DIR="/run/user/$uid" PATH=/usr/local/bin:/usr/bin:/bin "$@"
}
expect_runner=as_user
unit_log() { as_user journalctl --user --no-pager -u vmforge@ua >&2 || true; }

# The VM's files: the guest is readable by all; the serial log is the user's to write.
manifest ua >"$scratch/ua.toml"
: >"$scratch/ua.serial.log"
inside chown vmfuser: "$vmdir/ua.serial.log"
as_user mkdir -p "$home/.config/vmforge"
as_user cp "$vmdir/ua.toml" "$home/.config/vmforge/ua.toml"

echo "# plan without DIR: the user's ~/.config/vmforge, 1 to start (exit 2)"
expect 2 "plan before apply" vmforge plan
echo "$out" | grep -q "1 to start" || fail "plan does not plan ua's start from ~/.config/vmforge"

echo "# apply starts vmforge@ua.service in the user's manager; the guest runs as the user"
expect 0 "apply as the user" vmforge apply
echo "$out" | grep -q "^+ ua: started (vmforge@ua.service)" || { unit_log; fail "apply does not report ua started"; }
as_user systemctl --user is-active -q vmforge@ua || { unit_log; fail "vmforge@ua is not active in the user manager"; }
as_user vmforge list --json >"$scratch/list.json" || fail "vmforge list --json as the user failed"
qemu_pid=$(
  python3 - "$scratch/list.json" "$home" <<'PY'
import json, sys
vms = {vm["name"]: vm for vm in json.load(open(sys.argv[1]))}
ua = vms["ua"]
assert ua["state"] == "running" and ua["manifest"] == f"{sys.argv[2]}/.config/vmforge/ua.toml", ua
assert ua["unit"] == "vmforge@ua.service" and ua["unit_manager"] == "user", ua
print(ua["qemu_pid"])
PY
) || fail "list does not show ua under the user manager: $(cat "$scratch/list.json")"
inside grep -q "^Uid:	$uid	" "/proc/$qemu_pid/status" || fail "QEMU (PID $qemu_pid) does not run as the user"
wait_for 60 "ua's guest to boot" serial_has ua 'vmforge-guest: ready'

echo "# plan after convergence: exit 0"
expect 0 "plan after apply" vmforge plan

echo "# a deleted manifest: apply --prune stops the unit, the guest powers off"
as_user rm "$home/.config/vmforge/ua.toml"
expect 0 "apply --prune" vmforge apply --prune
echo "$out" | grep -q "^- ua: stopped (vmforge@ua.service)" || fail "apply --prune does not report ua stopped"
as_user systemctl --user is-active -q vmforge@ua && fail "vmforge@ua is still active after --prune"
serial_has ua 'vmforge-guest: poweroff' || fail "ua's guest was not powered off"
echo "all systemd user-manager checks passed"
