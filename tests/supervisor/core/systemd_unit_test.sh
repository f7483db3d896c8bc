#!/bin/sh
# vmforge@.service under real systemd, booted in a sandbox (tests/support/systemd-sandbox.sh):
# vmforge installed there by `meson install`, the test guest run through the unit. Checks that
# start is ready only once QEMU runs the guest, `vmforge list` and machinectl show the VM, reload
# hot-plugs a disk, a frozen QEMU trips the watchdog and is restarted, stop powers the guest off,
# the journal has VM= and QEMU's stderr, and a manifest whose name is not the unit instance is
# refused.
# The unit gets the test drop-in of vmforge-sandbox.sh (WatchdogSec=5s).
# Usage: systemd_unit_test.sh BUILD_DIR (env: VMFORGE_SOURCE_DIR, VMFORGE_GUEST_DIR).
set -eu
. "$VMFORGE_SOURCE_DIR/tests/support/vmforge-sandbox.sh"
vmforge_sandbox unit "$1"
fail_units="vmforge@demo vmforge@web"

prop() { inside systemctl show -P "$2" "$1"; }
install_manifest() {
  cat >"$scratch/$1.toml"
  inside cp "$vmdir/$1.toml" "$confdir/vmforge/$1.toml"
}

# A CPU model TCG cannot give in full: QEMU warns on its stderr at start, which the journal
# must show under QEMU's name.
noisy_cpu='[cpu]
model = "Skylake-Client"'

echo "# enable --now: active only once QEMU runs the guest"
manifest demo "$noisy_cpu" | install_manifest demo
inside systemctl enable --now vmforge@demo || fail "systemctl enable --now vmforge@demo failed"
[ "$(prop vmforge@demo ActiveState)" = active ] || fail "vmforge@demo is not active after 'enable --now' returned"
[ "$(prop vmforge@demo UnitFileState)" = enabled ] || fail "vmforge@demo is not enabled"
inside vmforge status demo | grep -q '(running)' || fail "'enable --now' returned before QEMU ran the guest"
wait_for 60 "the guest to boot (serial report 'ready')" serial_has demo 'vmforge-guest: ready'

echo "# vmforge list --json shows demo running"
inside vmforge list --json >"$scratch/list.json" || fail "vmforge list --json failed"
python3 - "$scratch/list.json" "$confdir/vmforge/demo.toml" <<'EOF' || fail "vmforge list --json: $(cat "$scratch/list.json")"
import json, sys
vms = {vm["name"]: vm for vm in json.load(open(sys.argv[1]))}
demo = vms["demo"]
assert demo["state"] == "running", demo
assert demo["manifest"] == sys.argv[2] and demo["state_dir"] == "/run/vmforge/demo", demo
assert demo["qemu_pid"] and demo["uptime_sec"] is not None, demo
assert demo["unit"] == "vmforge@demo.service" and demo["unit_manager"] == "system", demo
EOF
inside vmforge list

echo "# machinectl list shows demo (registered with systemd-machined)"
inside machinectl list --no-legend --no-pager | grep -q "^demo *vm *vmforge" || fail "machinectl list does not show demo"

echo "# reload after a manifest change hot-plugs a disk"
truncate -s 1M "$scratch/data.raw"
manifest demo "$noisy_cpu
[[disk]]
id = \"data\"
file = \"$vmdir/data.raw\"
format = \"raw\"
serial = \"RELOADED\"
hotplug = true" | install_manifest demo
inside systemctl reload vmforge@demo || fail "systemctl reload vmforge@demo failed"
wait_for 60 "the guest to report the hot-plugged disk" serial_has demo 'vmforge-guest: block.vda=.*serial=RELOADED'

echo "# a QEMU frozen with SIGSTOP trips the watchdog; Restart=on-failure starts it again"
qemu_pid=$(inside cat /run/vmforge/demo/qemu.pid)
inside kill -STOP "$qemu_pid"
# The frozen QEMU writes no more; what the serial log gets from now on is the next boot's.
: >"$scratch/demo.serial.log"
restarted_once() { [ "$(prop vmforge@demo NRestarts)" = 1 ]; }
demo_active() { inside systemctl is-active -q vmforge@demo; }
wait_for 60 "the watchdog to restart vmforge@demo" restarted_once
wait_for 60 "vmforge@demo to be active again after the watchdog" demo_active
inside journalctl --no-pager -u vmforge@demo | grep -q 'Watchdog timeout' ||
  fail "the journal does not show systemd's watchdog timeout"
[ "$(inside cat /run/vmforge/demo/qemu.pid)" != "$qemu_pid" ] || fail "the restarted unit still has the frozen QEMU"
wait_for 60 "the restarted guest to boot with its disk" serial_has demo 'vmforge-guest: block.vda=.*serial=RELOADED'

echo "# stop powers the guest off and exits 0"
inside systemctl stop vmforge@demo || fail "systemctl stop vmforge@demo failed"
[ "$(prop vmforge@demo Result)" = success ] || fail "vmforge@demo's result after stop is not 'success'"
[ "$(prop vmforge@demo ExecMainStatus)" = 0 ] || fail "the supervisor did not exit 0 on stop"
serial_has demo 'vmforge-guest: poweroff' || fail "the guest's serial log does not show the power-down"

echo "# the journal has VM=demo"
inside journalctl --no-pager -u vmforge@demo -o json | grep -q '"VM":"demo"' ||
  fail "journalctl -u vmforge@demo has no entry with VM=demo"
echo "# the journal has QEMU's own stderr, under QEMU's name and VM=demo"
inside journalctl --no-pager -u vmforge@demo -o json | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
sys.exit(not any(e.get("SYSLOG_IDENTIFIER") == "qemu-system-x86_64" and e.get("VM") == "demo"
                 and "TCG doesn'"'"'t support requested feature" in e.get("MESSAGE", "") for e in lines))' ||
  fail "journalctl -u vmforge@demo has no QEMU warning (SYSLOG_IDENTIFIER=qemu-system-x86_64, VM=demo)"
echo "  journal entries of vmforge@demo by SYSLOG_IDENTIFIER:"
inside journalctl --no-pager -u vmforge@demo -o json |
  python3 -c 'import collections, json, sys; print(dict(collections.Counter(json.loads(l).get("SYSLOG_IDENTIFIER") for l in sys.stdin)))'

echo "# under vmforge@web, a manifest named 'demo' is refused"
manifest demo | install_manifest web
if inside systemctl start vmforge@web 2>/dev/null; then fail "vmforge@web started with a manifest named 'demo'"; fi
inside journalctl --no-pager -u vmforge@web | grep -q "A VM's name must be its unit's instance" ||
  fail "the journal of vmforge@web does not say why the manifest was refused"
echo "all systemd checks passed"
