#!/bin/sh
# The OCF resource agent (ocf/vmforge) under real systemd in a sandbox
# (tests/support/vmforge-sandbox.sh), without a cluster: Pacemaker's actions are the agent run
# with OCF_* variables, so resource-agents' ocf-tester runs every action as the cluster would
# (meta-data valid against ra-api-1.dtd, start/stop/monitor/probe twice over, reload,
# migrate_to/migrate_from present) and must pass. Then what ocf-tester does not look at: the
# meta-data is valid OCF 1.1 (resource-agents' RELAX NG schema) and advertises live migration and
# reload; validate-all refuses a missing manifest (5: not installed here), an invalid one and
# one naming another VM (6: not configured right), saying why; the VM runs in vmforge@NAME with
# systemd's restart off, so QEMU killed leaves monitor at 7 (not running) for Pacemaker to
# recover, while a supervisor that does not answer is 1 (failed); reload applies a changed
# manifest live (the guest reports the hot-plugged disk). And the sandbox masks the host's
# Corosync and Pacemaker units (enabled by their packages) unless a test asks for a cluster node.
# Usage: ocf_agent_test.sh BUILD_DIR (env: VMFORGE_SOURCE_DIR, VMFORGE_GUEST_DIR).
set -eu
if ! command -v ocf-tester >/dev/null; then
  echo "ocf-tester (Debian's resource-agents) is not installed; skipping." >&2
  exit 77
fi
. "$VMFORGE_SOURCE_DIR/tests/support/vmforge-sandbox.sh"
fail_units="vmforge@ocfvm"

vmforge_sandbox ocf "$1"
agent=$prefix/lib/ocf/resource.d/vmforge/vmforge
# The monitor below stops the supervisor longer than the agent's 10 s bound on an answer: the
# unit's own watchdog interval, not the test's 5 s, which would kill it first.
printf '[Service]\nWatchdogSec=30s\n' >"$scratch/watchdog.conf"
inside mkdir -p /etc/systemd/system/vmforge@ocfvm.service.d
inside cp "$vmdir/watchdog.conf" /etc/systemd/system/vmforge@ocfvm.service.d/
inside systemctl daemon-reload
# ocf-tester stops the VM right after starting it, before the guest handles the power button:
# each such stop waits for shutdown_timeout.
vm_manifest() { manifest ocfvm "$@" | sed 's/^shutdown_timeout = .*/shutdown_timeout = "3s"/'; }
vm_manifest >"$scratch/ocfvm.toml"

# ra ACTION [VAR=VALUE]...: the agent as Pacemaker runs it for the resource 'vm'.
ra() {
  action=$1
  shift
  inside env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vm OCF_RESKEY_manifest="$vmdir/ocfvm.toml" \
    OCF_RESKEY_CRM_meta_timeout=120000 "$@" "$agent" "$action"
}

# Commands checked with expect run here (inside, or the agent through ra).
here() { "$@"; }
expect_runner=here

echo "# the host's cluster services are masked in a sandbox that is no cluster node"
for unit in corosync.service pacemaker.service; do
  [ "$(inside systemctl is-enabled "$unit" || true)" = masked ] || fail "$unit is not masked in the sandbox"
done

echo "# ocf-tester passes"
expect 0 "ocf-tester" inside ocf-tester -n vm -o manifest="$vmdir/ocfvm.toml" "$agent"
echo "$out" | grep -q "passed all tests" || fail "ocf-tester did not say the agent passed"

echo "# meta-data: valid OCF 1.1, live migration and reload advertised"
ra meta-data >"$scratch/meta.xml" || fail "meta-data failed"
(cd /usr/share/resource-agents && xmllint --noout --relaxng metadata.rng - <"$scratch/meta.xml") ||
  fail "the meta-data is not valid against resource-agents' metadata.rng"
grep -q '<version>1.1</version>' "$scratch/meta.xml" || fail "the meta-data does not say OCF 1.1"
for action in migrate_to migrate_from reload validate-all; do
  grep -q "<action name=\"$action\"" "$scratch/meta.xml" || fail "the meta-data does not advertise $action"
done

echo "# validate-all: 5 without the manifest, 6 for an invalid one or another VM's, with the reason"
expect 5 "validate-all of a missing manifest" ra validate-all OCF_RESKEY_manifest="$vmdir/absent.toml"
echo "$out" | grep -q "cannot read manifest '$vmdir/absent.toml' on this node" || fail "no reason for the missing manifest"
printf 'name = "bad"\n[memory]\nsize = "lots"\n' >"$scratch/bad.toml"
expect 6 "validate-all of an invalid manifest" ra validate-all OCF_RESKEY_manifest="$vmdir/bad.toml"
echo "$out" | grep -q "see 'vmforge check $vmdir/bad.toml'" || fail "no reason for the invalid manifest"
expect 6 "validate-all of a manifest naming another VM" ra validate-all OCF_RESKEY_name=other
echo "$out" | grep -q "names the VM 'ocfvm', not 'other'" || fail "no reason for the name mismatch"
expect 0 "validate-all" ra validate-all

echo "# start: vmforge@ocfvm runs the manifest, systemd's restart off"
expect 0 "start" ra start
inside systemctl is-active -q vmforge@ocfvm || fail "vmforge@ocfvm is not active after start"
[ "$(inside systemctl show -P Restart vmforge@ocfvm)" = no ] || fail "the agent's drop-in does not turn Restart= off"
[ "$(inside systemctl show -P TimeoutStartUSec vmforge@ocfvm)" = 2min ] ||
  fail "the agent's drop-in does not give the start the action's timeout (120 s)"
inside vmforge status ocfvm | grep -q "Manifest: $vmdir/ocfvm.toml" || fail "the unit does not run the resource's manifest"
wait_for 60 "the guest to boot" serial_has ocfvm 'vmforge-guest: ready'

echo "# reload applies a changed manifest live"
truncate -s 1M "$scratch/ocfvm-data.raw"
vm_manifest "[[disk]]
id = \"data\"
file = \"$vmdir/ocfvm-data.raw\"
format = \"raw\"
serial = \"OCFRELOAD\"
hotplug = true" >"$scratch/ocfvm.toml"
expect 0 "reload" ra reload
wait_for 60 "the guest to report the hot-plugged disk" serial_has ocfvm 'vmforge-guest: block.vda=.*serial=OCFRELOAD'

echo "# monitor: 1 while the supervisor does not answer"
supervisor=$(inside systemctl show -P MainPID vmforge@ocfvm)
inside kill -STOP "$supervisor"
expect 1 "monitor of a stopped (SIGSTOP) supervisor" ra monitor
echo "$out" | grep -q "does not answer" || fail "monitor does not say the supervisor does not answer"
inside kill -CONT "$supervisor"
expect 0 "monitor once the supervisor answers again" ra monitor

echo "# monitor: 7 once QEMU was killed (systemd does not restart it: Pacemaker does)"
qemu=$(inside vmforge status ocfvm | sed -n 's/ *QEMU: PID \([0-9]*\).*/\1/p')
inside kill -KILL "$qemu"
wait_for 30 "vmforge@ocfvm to end" sh -c "! nsenter -t $sandbox_pid -a systemctl is-active -q vmforge@ocfvm"
expect 7 "monitor after QEMU was killed" ra monitor
expect 0 "stop of the failed VM" ra stop
inside test ! -e /run/systemd/system/vmforge@ocfvm.service.d/60-ocf-vmforge.conf || fail "stop left the agent's drop-in"
expect 0 "start after the failure" ra start
expect 0 "stop" ra stop
expect 7 "monitor after stop" ra monitor
echo "ok"
