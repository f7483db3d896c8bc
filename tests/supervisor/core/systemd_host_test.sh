#!/bin/sh
# `vmforge plan DIR` / `vmforge apply DIR` under real systemd, booted in a sandbox
# (tests/support/vmforge-sandbox.sh): a directory of three manifests outside the unit's own
# directory is applied (three units started, each active with its guest running, the units
# running DIR's manifests through their drop-ins, `autostart` enabling one), a change to one
# is applied live (a disk the guest reports), a VM that fails to start is reported with where to
# look while another starts (exit 1), a bad manifest in DIR stops everything before
# any change (file:line:col), a deleted manifest's VM is stopped by --prune (so is a VM run by
# another unit, through its control socket), `plan DIR` exits
# 2 before and 0 after each convergence, machinectl lists the VMs while they run, `vmforge
# console` shows a VM's boot output on each of two attaches. Before the
# sandbox boots: without systemd, `apply DIR` says so and exits 1.
# Usage: systemd_host_test.sh BUILD_DIR (env: VMFORGE_SOURCE_DIR, VMFORGE_GUEST_DIR).
set -eu
. "$VMFORGE_SOURCE_DIR/tests/support/vmforge-sandbox.sh"
vms="alpha beta gamma"
fail_units="vmforge@alpha vmforge@beta vmforge@gamma vmforge@delta vmforge@epsilon vmforge@broken by-hand console-vm systemd-machined"

# write NAME [EXTRA]: VM NAME's manifest in DIR ($host outside, $dir inside).
write() { manifest "$@" >"$host/$1.toml"; }

if [ "$(id -u)" -eq 0 ] && [ ! -S /run/systemd/private ] && [ ! -S /run/dbus/system_bus_socket ]; then
  echo "# without systemd, apply DIR says so and exits 1"
  nosd=$(mktemp -d /tmp/vmforge-nosd-XXXXXX)
  manifest solo >"$nosd/solo.toml"
  rc=0
  "$1/cli/vmforge" apply "$nosd" >"$nosd/out" 2>&1 || rc=$?
  grep -q "Is systemd running" "$nosd/out" && [ "$rc" = 1 ] || {
    cat "$nosd/out" >&2
    rm -rf "$nosd"
    echo "FAIL: apply DIR without systemd exited $rc without saying systemd is missing" >&2
    exit 1
  }
  rm -rf "$nosd"
fi

vmforge_sandbox host "$1"
host=$scratch/host
dir=$vmdir/host
mkdir "$host"
write alpha "autostart = true"
write beta "autostart = false"
write gamma

echo "# plan DIR before: 3 to start (exit 2)"
expect 2 "plan DIR before the first apply" vmforge plan "$dir"
echo "$out" | grep -q "3 to start" || fail "plan DIR does not plan 3 starts"

echo "# apply DIR starts 3 units, each active with its guest running"
expect 0 "the first apply DIR" vmforge apply "$dir"
echo "$out" | grep -q "Host apply: 3 started, 0 changed, 0 stopped, 0 unchanged, 0 failed." ||
  fail "apply DIR's summary is not 3 started"
for vm in $vms; do
  inside systemctl is-active -q "vmforge@$vm" || fail "vmforge@$vm is not active after apply DIR"
  inside vmforge status "$vm" | grep -q '(running)' || fail "apply DIR returned before QEMU ran $vm's guest"
done
inside vmforge list --json >"$scratch/list.json" || fail "vmforge list --json failed"
python3 - "$scratch/list.json" "$dir" <<'PY' || fail "the units do not run DIR's manifests: $(cat "$scratch/list.json")"
import json, sys
vms = {vm["name"]: vm for vm in json.load(open(sys.argv[1]))}
for name in ("alpha", "beta", "gamma"):
    assert vms[name]["state"] == "running" and vms[name]["manifest"] == f"{sys.argv[2]}/{name}.toml", vms[name]
    assert vms[name]["unit"] == f"vmforge@{name}.service" and vms[name]["unit_manager"] == "system", vms[name]
PY
[ "$(inside systemctl is-enabled vmforge@alpha)" = enabled ] || fail "autostart = true did not enable vmforge@alpha"
inside test -f /etc/systemd/system/vmforge@alpha.service.d/50-vmforge-manifest.conf ||
  fail "the enabled vmforge@alpha has no persistent manifest drop-in"
[ "$(inside systemctl is-enabled vmforge@beta || true)" = disabled ] || fail "vmforge@beta is not disabled"
inside test -f /run/systemd/system/vmforge@beta.service.d/50-vmforge-manifest.conf ||
  fail "vmforge@beta has no runtime manifest drop-in"
for vm in $vms; do
  wait_for 60 "$vm's guest to boot" serial_has "$vm" 'vmforge-guest: ready'
done

echo "# machinectl list shows the VMs"
machines() { inside machinectl list --no-legend --no-pager; }
machines >"$scratch/machines" 2>&1 || fail "machinectl list failed: $(cat "$scratch/machines")"
cat "$scratch/machines"
for vm in $vms; do
  grep -q "^$vm *vm *vmforge" "$scratch/machines" || fail "machinectl list does not show $vm as a vm of vmforge"
done

echo "# vmforge console: a VM's boot output, printed before anyone attached, is shown on attach, twice"
manifest zeta | sed 's/^backend = "file"$/backend = "console"/; /^path = ".*zeta.serial.log"$/d' >"$scratch/zeta.toml"
inside systemd-run --quiet --unit=console-vm -p Type=notify vmforge run "$vmdir/zeta.toml" ||
  fail "vmforge run of a VM with a console failed"
wait_for 60 "zeta's guest to boot" inside grep -q 'vmforge-guest: ready' /run/vmforge/zeta/console.log
for attach in 1 2; do
  expect 0 "vmforge console, attach $attach" sh -c '{ sleep 1; printf "\035"; } | vmforge console zeta'
  echo "$out" | grep -q 'vmforge-guest: ready' || fail "vmforge console did not show zeta's boot output"
  echo "$out" | grep -q "Detached from the console of VM 'zeta'" || fail "vmforge console did not detach"
done
expect 0 "vmforge stop of the VM with a console" vmforge stop zeta

echo "# plan DIR after convergence: exit 0"
expect 0 "plan DIR after apply DIR" vmforge plan "$dir"

echo "# a changed manifest is applied live: the guest reports the disk"
truncate -s 1M "$scratch/beta-data.raw"
write beta "autostart = false
[[disk]]
id = \"data\"
file = \"$vmdir/beta-data.raw\"
format = \"raw\"
serial = \"HOSTAPPLY\"
hotplug = true"
expect 2 "plan DIR with beta changed" vmforge plan "$dir"
expect 0 "apply DIR with beta changed" vmforge apply "$dir"
echo "$out" | grep -q "^~ beta: applied" || fail "apply DIR does not report beta's change"
wait_for 60 "beta's guest to report the hot-plugged disk" serial_has beta 'vmforge-guest: block.vda=.*serial=HOSTAPPLY'

echo "# a VM that fails to start does not stop the others; apply DIR says where to look, exits 1"
write epsilon
manifest broken | sed "s|^path = \"$vmdir/guest/vmlinuz\"|path = \"$vmdir/no-such-kernel\"|" >"$host/broken.toml"
# The start job fails at once instead of after Restart=on-failure's attempts.
inside mkdir -p /run/systemd/system/vmforge@broken.service.d
printf '[Service]\nRestart=no\n' >"$scratch/no-restart.conf"
inside cp "$vmdir/no-restart.conf" /run/systemd/system/vmforge@broken.service.d/
expect 1 "apply DIR with a VM that cannot start" vmforge apply "$dir"
echo "$out" | grep -q "^+ epsilon: started (vmforge@epsilon.service)" || fail "epsilon was not started beside broken"
echo "$out" | grep -q "^x broken: failed to start vmforge@broken.service: job result 'failed', service result 'exit-code'; see 'systemctl status vmforge@broken.service' and 'journalctl -u vmforge@broken.service'." ||
  fail "apply DIR does not report broken's failure with its results and where to look"
echo "$out" | grep -q "1 started, 0 changed, 0 stopped, 3 unchanged, 1 failed" || fail "apply DIR's summary does not count the failure"
inside rm "$dir/broken.toml" "$dir/epsilon.toml"

echo "# a bad manifest in DIR: nothing is done, the error has file:line:col"
truncate -s 1M "$scratch/gamma-data.raw"
write gamma "[[disk]]
id = \"late\"
file = \"$vmdir/gamma-data.raw\"
format = \"raw\"
hotplug = true"
printf 'name = "delta"\nfromat = 1\n' >"$host/delta.toml"
expect 1 "apply DIR with a bad manifest" vmforge apply "$dir"
echo "$out" | grep -q "^$dir/delta.toml:2:1: error: unknown top-level key 'fromat'" ||
  fail "apply DIR does not say where delta.toml is bad"
echo "$out" | grep -q "nothing applied" || fail "apply DIR does not say that nothing was applied"
inside systemctl is-active -q vmforge@delta && fail "vmforge@delta was started despite the bad manifest"
inside rm "$dir/delta.toml"
expect 2 "plan DIR: gamma's change still pending after the refused apply" vmforge plan "$dir"
echo "$out" | grep -q "1 to change" || fail "gamma's change was applied despite the bad manifest"

echo "# a deleted manifest: apply DIR --prune stops its VM; one not run by its unit is stopped too"
inside rm "$dir/gamma.toml"
manifest solo >"$scratch/solo.toml"
inside systemd-run --quiet --unit=by-hand -p Type=notify vmforge run "$vmdir/solo.toml" ||
  fail "vmforge run under systemd-run failed"
# A guest that has not booted ignores the power button: its stop would take shutdown_timeout.
wait_for 60 "solo's guest to boot" serial_has solo 'vmforge-guest: ready'
expect 0 "plan DIR without --prune" vmforge plan "$dir"
expect 2 "plan DIR --prune with gamma deleted" vmforge plan "$dir" --prune
expect 0 "apply DIR --prune" vmforge apply "$dir" --prune
echo "$out" | grep -q "^- gamma: stopped (vmforge@gamma.service)" || fail "apply DIR --prune does not report gamma stopped"
echo "$out" | grep -q "^- solo: stopped$" || fail "apply DIR --prune does not report solo stopped"
echo "$out" | grep -q "^- epsilon: stopped (vmforge@epsilon.service)" || fail "apply DIR --prune does not report epsilon stopped"
inside systemctl is-active -q vmforge@gamma && fail "vmforge@gamma is still active after --prune"
[ "$(inside systemctl show -P Result by-hand)" = success ] || fail "solo's supervisor did not stop cleanly"
serial_has gamma 'vmforge-guest: poweroff' || fail "gamma's guest was not powered off"
expect 0 "plan DIR --prune after convergence" vmforge plan "$dir" --prune
inside vmforge apply "$dir" --prune --json >"$scratch/apply.json" 2>/dev/null || fail "apply DIR --json after convergence failed"
python3 - "$scratch/apply.json" <<'PY' || fail "apply DIR --json: $(cat "$scratch/apply.json")"
import json, sys
out = json.load(open(sys.argv[1]))
assert [(vm["name"], vm["outcome"]) for vm in out["vms"]] == [("alpha", "unchanged"), ("beta", "unchanged")], out
assert out["unchanged"] == 2 and out["failed"] == 0 and out["prune"] is True, out
PY
machines >"$scratch/machines" 2>&1 || true
grep -q "^gamma " "$scratch/machines" && fail "machinectl still lists the stopped gamma"
echo "all systemd host checks passed"
