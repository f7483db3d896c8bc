#!/bin/sh
# A two-node Pacemaker cluster on this machine running a VM through the OCF agent (ocf/vmforge).
# Each node is a systemd sandbox (tests/support/vmforge-sandbox.sh: overlay root, its own
# network namespace and hostname, node1 and node2) with vmforge installed; a veth pair between
# the two namespaces carries 192.0.2.1 and 192.0.2.2 (TEST-NET-1, inside them only); Corosync
# (knet, two_node) and Pacemaker run in each; the scratch directory, bound into both at
# /var/lib/vmforge, is the shared storage (manifest, guest, the VM's disk); STONITH is
# disabled. The resource (allow-migrate, migration-threshold=1) starts on node1.
#   failover: QEMU killed on node1 -> Pacemaker restarts the VM on node2 (a new boot); then the
#             supervisor killed on node2 -> back on node1.
#   move:     `crm_resource --move` live-migrates it to node2 and back (migrate_to/
#             migrate_from): the source's unit ends, the target plans no changes; the guest
#             keeps running: on the target (each node has its own serial log) it reports its
#             NIC's link set down (then up) there, and no new boot (no uptime, no `ready`); the
#             way back with a disk hot-plugged on node2 since its QEMU started.
#             Skipped (77) while `vmforge migrate` does not exist.
# Usage: cluster_test.sh failover|move BUILD_DIR (env: VMFORGE_SOURCE_DIR, VMFORGE_GUEST_DIR).
set -eu
mode=$1
shift
if ! command -v pacemakerd >/dev/null || ! command -v corosync >/dev/null || ! command -v crm_resource >/dev/null; then
  echo "Pacemaker, Corosync or pacemaker-cli-utils is not installed; skipping." >&2
  exit 77
fi
if [ "$mode" = move ] && ! "$VMFORGE_BINARY" migrate --help >/dev/null 2>&1; then
  echo "'vmforge migrate' does not exist in this build: the live move cannot be tested; skipping." >&2
  exit 77
fi
. "$VMFORGE_SOURCE_DIR/tests/support/vmforge-sandbox.sh"
vm=clustervm
unit=vmforge@$vm
# Each node's own serial log (a local directory the unit may write), as on separate hosts: what
# the guest reports on node2 after a live move is not mixed with what it said on node1.
serial=/var/log/vmforge/$vm.serial.log

# on NODE CMD...: runs CMD in node NODE (1 or 2).
on() {
  eval "sandbox_pid=\$node$1_pid"
  shift
  sandbox_run "$@"
}

cluster_stop() {
  # Both PID 1s first: sandbox_stop waits for every child of this shell, the other node's too.
  kill -KILL ${node1_pid:-} ${node2_pid:-} 2>/dev/null || true
  for n in 1 2; do
    eval "sandbox_pid=\${node${n}_pid:-} sandbox_cgroup=\${node${n}_cgroup:-} sandbox_log=\${node${n}_log:-}"
    sandbox_stop
  done
  rm -rf "$scratch"
}

fail() {
  echo "FAIL: $*" >&2
  for n in 1 2; do
    [ -n "$(eval "echo \${node${n}_pid:-}")" ] || continue
    echo "--- node$n:" >&2
    on "$n" crm_mon -1 -r -f >&2 || true
    on "$n" systemctl --no-pager status "$unit" >&2 || true
    on "$n" journalctl --no-pager -u "$unit" -u pacemaker -u corosync -n 200 >&2 || true
  done
  for n in 1 2; do
    echo "--- node$n's guest serial log:" >&2
    on "$n" cat "$serial" >&2 || true
  done
  exit 1
}

started=$(date +%s)
vmforge_scratch cluster "$1"
trap cluster_stop EXIT
trap 'exit 1' INT TERM HUP
sandbox_cluster=yes
cat >"$scratch/corosync.conf" <<'EOF'
totem {
  version: 2
  cluster_name: vmforge-test
  transport: knet
  crypto_cipher: none
  crypto_hash: none
}
nodelist {
  node {
    name: node1
    nodeid: 1
    ring0_addr: 192.0.2.1
  }
  node {
    name: node2
    nodeid: 2
    ring0_addr: 192.0.2.2
  }
}
quorum {
  provider: corosync_votequorum
  two_node: 1
}
logging {
  to_syslog: yes
  to_logfile: no
  to_stderr: no
}
EOF
printf '192.0.2.1 node1\n192.0.2.2 node2\n' >"$scratch/hosts"
for n in 1 2; do
  vmforge_boot "node$n"
  eval "node${n}_pid=\$sandbox_pid node${n}_cgroup=\$sandbox_cgroup node${n}_log=\$sandbox_log"
done
ip link add vmforge-n1 netns "$node1_pid" type veth peer name vmforge-n2 netns "$node2_pid"
for n in 1 2; do
  on "$n" ip address add "192.0.2.$n/24" dev "vmforge-n$n"
  on "$n" ip link set "vmforge-n$n" up
  on "$n" hostname "node$n"
  on "$n" sh -c "echo node$n >/etc/hostname && cat $vmdir/hosts >>/etc/hosts && cp $vmdir/corosync.conf /etc/corosync/"
  on "$n" mkdir -p /var/log/vmforge
  # Pacemaker looks for agents in /usr/lib/ocf only.
  [ "$prefix" = /usr ] || on "$n" ln -s "$prefix/lib/ocf/resource.d/vmforge" /usr/lib/ocf/resource.d/vmforge
  on "$n" systemctl start corosync pacemaker || fail "corosync or pacemaker did not start on node$n"
done

echo "# the cluster forms: both nodes online"
wait_for 120 "both nodes online" sh -c "nsenter -t $node1_pid -a crm_mon -1 | grep -q 'Online: \[ node1 node2 \]'"
on 1 crm_attribute --type crm_config --name stonith-enabled --update false
on 1 crm_attribute --type rsc_defaults --name resource-stickiness --update 100

# cluster_manifest LINK [HOT]: the VM's manifest on the shared storage: a disk there, a NIC whose
# link state (up/down) is changed live, and with HOT a second disk there, hot-pluggable (its
# live addition changes the machine's PCI layout: a later migration must carry it).
cluster_manifest() {
  hot=
  [ -n "${2-}" ] && hot="
[[disk]]
id = \"hot\"
file = \"$vmdir/hot.raw\"
format = \"raw\"
serial = \"HOT\"
hotplug = true"
  manifest "$vm" "[[disk]]
id = \"data\"
file = \"$vmdir/shared.raw\"
format = \"raw\"
serial = \"SHARED\"

[[net]]
id = \"eth0\"
backend = \"user\"
link = \"$1\"
$hot" | sed "s|^path = \"$vmdir/$vm.serial.log\"|path = \"$serial\"|" >"$scratch/$vm.toml"
}
truncate -s 1M "$scratch/shared.raw" "$scratch/hot.raw"
cluster_manifest up
on 1 cibadmin --create -o resources --xml-text "<primitive id='vm' class='ocf' provider='vmforge' type='vmforge'>
  <instance_attributes id='vm-params'>
    <nvpair id='vm-manifest' name='manifest' value='$vmdir/$vm.toml'/>
  </instance_attributes>
  <meta_attributes id='vm-meta'>
    <nvpair id='vm-allow-migrate' name='allow-migrate' value='true'/>
    <nvpair id='vm-migration-threshold' name='migration-threshold' value='1'/>
  </meta_attributes>
  <operations>
    <op id='vm-start' name='start' interval='0' timeout='120s'/>
    <op id='vm-stop' name='stop' interval='0' timeout='120s'/>
    <op id='vm-monitor' name='monitor' interval='2s' timeout='30s'/>
    <op id='vm-migrate-to' name='migrate_to' interval='0' timeout='120s'/>
    <op id='vm-migrate-from' name='migrate_from' interval='0' timeout='120s'/>
  </operations>
</primitive>" || fail "cibadmin could not create the resource"
on 1 cibadmin --create -o constraints --xml-text "<rsc_location id='vm-prefers-node1' rsc='vm' node='node1' score='50'/>" ||
  fail "cibadmin could not create the location constraint"

# where: the node Pacemaker says runs the VM.
where() { on 1 crm_resource --locate --resource vm 2>/dev/null | sed -n 's/.*is running on: \(node[12]\).*/\1/p'; }
# runs_on NODE: Pacemaker has it there and its supervisor there says it is healthy.
runs_on() { [ "$(where)" = "node$1" ] && on "$1" vmforge status "$vm" >/dev/null 2>&1; }
# pacemaker_did NODE ACTION: Pacemaker's controller on NODE logs ACTION of the agent as done
# (within 30 s: the source's stop follows the target's migrate_from).
pacemaker_logged() { on "$1" journalctl --no-pager -o cat | grep -q "Result of $2 operation for vm on node$1: ok"; }
pacemaker_did() { wait_for 30 "a successful $2 of the resource in Pacemaker's journal on node$1" pacemaker_logged "$@"; }
# reported NODE PATTERN: whether the guest's serial log on NODE has a line matching PATTERN.
reported() { on "$1" grep -q -a "$2" "$serial"; }

# live_move FROM TO LINK [NEW]: crm_resource --move from node FROM to node TO, then the manifest
# with the NIC's link LINK and the hot-pluggable disk applied on TO, whose guest then reports the
# link, and with NEW the disk (plugged by this apply).
live_move() {
  echo "# crm_resource --move: live migration from node$1 to node$2, the guest keeps running"
  # What the target's log says from now on is the migrated guest's, whether QEMU appends or not.
  on "$2" rm -f "$serial"
  eval "source_pid=\$node$1_pid"
  on 1 crm_resource --move --resource vm --node "node$2" || fail "crm_resource --move to node$2 failed"
  wait_for 180 "the VM to run on node$2" runs_on "$2"
  wait_for 60 "$unit to end on node$1" sh -c "! nsenter -t $source_pid -a systemctl is-active -q $unit"
  pacemaker_did "$1" migrate_to
  pacemaker_did "$2" migrate_from
  # Then the source's stop, which finds its supervisor gone (exited 0 after the migration).
  pacemaker_did "$1" stop
  on "$2" vmforge plan "$vmdir/$vm.toml" >/dev/null || fail "the VM migrated to node$2 differs from its manifest"
  echo "# the guest reports on node$2 its link $3 and did not boot again"
  cluster_manifest "$3" hot
  on "$2" vmforge apply "$vmdir/$vm.toml" || fail "the changed manifest could not be applied on node$2"
  wait_for 60 "the guest on node$2 to report its link $3" reported "$2" "vmforge-guest: net\.[a-z0-9]*=.*link=$3"
  if [ -n "${4-}" ]; then
    wait_for 60 "the guest on node$2 to report the hot-plugged disk" reported "$2" "vmforge-guest: blocks=.*vdb"
  fi
  ! reported "$2" 'vmforge-guest: uptime_ms=' || fail "the guest booted again on node$2: not a live migration"
  ! reported "$2" 'vmforge-guest: ready' || fail "the guest booted again on node$2: not a live migration"
}

echo "# the resource starts on node1"
wait_for 120 "the VM to run on node1" runs_on 1
wait_for 60 "the guest to boot on node1" reported 1 'vmforge-guest: ready'
on 2 systemctl is-active -q "$unit" && fail "$unit is active on node2 as well"

case $mode in
  failover)
    echo "# QEMU killed on node1: Pacemaker runs the VM on node2"
    qemu=$(on 1 vmforge status "$vm" | sed -n 's/ *QEMU: PID \([0-9]*\).*/\1/p')
    on 1 kill -KILL "$qemu"
    wait_for 120 "the VM to run on node2" runs_on 2
    wait_for 60 "the guest to boot on node2" reported 2 'vmforge-guest: ready'
    pacemaker_did 2 start
    on 1 systemctl is-active -q "$unit" && fail "$unit is still active on node1"
    on 1 crm_resource --cleanup --resource vm >/dev/null

    echo "# the supervisor killed on node2: Pacemaker runs the VM on node1 again"
    supervisor=$(on 2 systemctl show -P MainPID "$unit")
    on 2 kill -KILL "$supervisor"
    wait_for 120 "the VM to run on node1 again" runs_on 1
    wait_for 60 "the guest to boot on node1 again" reported 1 'vmforge-guest: ready'
    on 2 systemctl is-active -q "$unit" && fail "$unit is still active on node2"
    ;;
  move)
    # There and back: each move must be Pacemaker's migrate_to on the source and migrate_from on
    # the target, leave no drift (plan on the target: no changes) and a guest that did not boot
    # again (no uptime, no `ready` in the target's serial log) and reports a change applied there.
    # The way back carries the disk hot-plugged on node2: node1's QEMU takes node2's PCI layout.
    live_move 1 2 down new
    live_move 2 1 up
    on 1 journalctl --no-pager -o cat -u "$unit" | grep -q "restarting QEMU here with its PCI layout" ||
      fail "node1 did not take node2's PCI layout (the disk hot-plugged there)"
    on 1 crm_resource --clear --resource vm >/dev/null
    ;;
esac
echo "ok ($(($(date +%s) - started)) s)"
