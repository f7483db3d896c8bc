# vmforge installed in a systemd sandbox (systemd-sandbox.sh), for the `systemd` suite's tests;
# sourced by a test script (POSIX sh) with VMFORGE_SOURCE_DIR and VMFORGE_GUEST_DIR set.
#
#   vmforge_sandbox NAME BUILD_DIR  boots the sandbox with a scratch directory ($scratch) seen
#                                   inside at $vmdir, installs vmforge there (`meson install`),
#                                   sets $prefix and $confdir (sysconfdir) and gives
#                                   vmforge@.service a drop-in: WatchdogSec=5s (30 s in the unit:
#                                   too long for a test) and LimitCORE=0 (the watchdog's SIGABRT
#                                   would dump core); vmforge_scratch and vmforge_boot are its two
#                                   halves, for a test of several sandboxes sharing $scratch
#   inside CMD...                   runs CMD in the sandbox
#   fail MESSAGE                    prints MESSAGE, the status and journal of each unit in
#                                   $fail_units and the guests' serial logs, and exits 1
#   wait_for SECONDS WHAT CMD...    polls CMD until it succeeds, else fails
#   expect STATUS WHAT CMD...       runs CMD inside (through $expect_runner when set), its output
#                                   in $out and indented on stdout; fails unless it exits STATUS
#   manifest NAME [EXTRA]           prints a manifest for the test guest, its serial log
#                                   $vmdir/NAME.serial.log ($scratch/NAME.serial.log outside)
#   serial_has NAME PATTERN         whether VM NAME's serial log has a line matching PATTERN
. "$VMFORGE_SOURCE_DIR/tests/support/systemd-sandbox.sh"

# Where the VMs' files are inside: the place for images, which a confined unit leaves writable
# (not /tmp, which it may make private).
vmdir=/var/lib/vmforge
fail_units=

vmforge_sandbox() {
  vmforge_scratch "$1" "$2"
  trap 'sandbox_stop; rm -rf "$scratch"' EXIT
  trap 'exit 1' INT TERM HUP
  vmforge_boot "$1"
}

# The scratch directory with the guest, and the trees to bind ($src, $build, $trees).
vmforge_scratch() {
  scratch=$(mktemp -d "/tmp/vmforge-$1-XXXXXX")
  # The guest's kernel and initrd where a host keeps VM files, /var/lib/vmforge (the unit's
  # PrivateTmp= hides a checkout under /tmp): QEMU, unprivileged, opens them by path, so they
  # are readable and the directory can be passed through.
  chmod 0711 "$scratch"
  mkdir -m 0755 "$scratch/guest"
  cp "$VMFORGE_GUEST_DIR/vmlinuz" "$VMFORGE_GUEST_DIR/initrd.img" "$scratch/guest/"
  chmod 0644 "$scratch/guest/vmlinuz" "$scratch/guest/initrd.img"
  # The source and build trees at their own paths: the sandbox's /tmp is a fresh tmpfs, so a
  # checkout under /tmp (as a CI clone may be) would otherwise vanish inside.
  src=$(cd "$VMFORGE_SOURCE_DIR" && pwd -P)
  build=$(cd "$2" && pwd -P)
  case "$build/" in
    "$src"/*) trees="$src:$src" ;;
    *) trees="$src:$src $build:$build" ;;
  esac
}

# Boots sandbox NAME with $scratch at $vmdir and installs vmforge there.
vmforge_boot() {
  # shellcheck disable=SC2086
  sandbox_boot "$1" "$scratch:$vmdir" $trees
  inside meson install -C "$build" --no-rebuild --quiet >/dev/null || fail "meson install failed inside the sandbox"
  eval "$(meson introspect "$build" --buildoptions |
    python3 -c 'import json, os, sys; o = {x["name"]: x["value"] for x in json.load(sys.stdin)}; print("prefix=" + o["prefix"], "confdir=" + os.path.join(o["prefix"], o["sysconfdir"]))')"
  inside mkdir -p "$confdir/vmforge" /etc/systemd/system/vmforge@.service.d
  printf '[Service]\nWatchdogSec=5s\nLimitCORE=0\n' >"$scratch/test.conf"
  inside cp "$vmdir/test.conf" /etc/systemd/system/vmforge@.service.d/test.conf
  inside systemctl daemon-reload
}

inside() { sandbox_run "$@"; }

fail() {
  echo "FAIL: $*" >&2
  for unit in $fail_units; do
    inside systemctl --no-pager status "$unit" >&2 || true
    inside journalctl --no-pager -u "$unit" >&2 || true
  done
  for log in "$scratch"/*.serial.log; do
    [ -e "$log" ] || continue
    echo "--- guest serial log $log:" >&2
    cat "$log" >&2
  done
  exit 1
}

wait_for() {
  deadline=$(($(date +%s) + $1))
  what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}

expect() {
  status=$1
  what=$2
  shift 2
  got=0
  ${expect_runner:-inside} "$@" >"$scratch/out" 2>&1 || got=$?
  out=$(cat "$scratch/out")
  [ "$got" = "$status" ] || fail "$what: '$*' exited $got, not $status:
$out"
  printf '%s\n' "$out" | sed 's/^/    /'
}

manifest() {
  cat <<EOF2
name = "$1"
[machine]
type = "q35"
accel = ["tcg"]
hotplug_slots = 1
[memory]
size = "256M"
[kernel]
path = "$vmdir/guest/vmlinuz"
initrd = "$vmdir/guest/initrd.img"
cmdline = "console=ttyS0 quiet panic=-1"
[[serial]]
id = "console"
backend = "file"
path = "$vmdir/$1.serial.log"
[supervisor]
shutdown_timeout = "30s"
${2:-}
EOF2
}

serial_has() { grep -q "$2" "$scratch/$1.serial.log"; }
