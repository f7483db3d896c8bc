#!/bin/sh
# The README's main job: install what is needed, build vmforge and the tiny test guest, boot
# examples/demo.toml under `vmforge run`, show `vmforge status` and what the guest reports
# (its disk was hot-plugged after start-up), then stop it with `vmforge stop`.
# VMFORGE_BIN=PATH uses an existing vmforge binary and skips install and build (the manifest's
# guest must then exist); VMFORGE_DEMO_MANIFEST=FILE boots another manifest.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${VMFORGE_BIN:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh
fi
vmforge=${VMFORGE_BIN:-build/cli/vmforge}
manifest=${VMFORGE_DEMO_MANIFEST:-examples/demo.toml}
name=$(sed -n 's/^name *= *"\(.*\)".*/\1/p' "$manifest")
dir=$(dirname "$manifest")
serial=$(sed -n 's/^path *= *"\(.*serial\.log\)".*/\1/p' "$manifest")
disk=$(sed -n 's/^file *= *"\(.*\.img\)".*/\1/p' "$manifest")
case $serial in /*) ;; *) serial=$dir/$serial ;; esac
case $disk in /*) ;; *) disk=$dir/$disk ;; esac
mkdir -p "$(dirname "$serial")" "$(dirname "$disk")"
[ -f "$disk" ] || qemu-img create -q -f raw "$disk" 64M
rm -f "$serial"
runtime=$(mktemp -d /tmp/vmforge-demo-XXXXXX)
run_pid=
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  rm -rf "$runtime"
}
trap cleanup EXIT INT TERM

# Waits up to $2 tenths of a second for the command $1 to succeed.
wait_for() {
  i=0
  until sh -c "$1" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le "$2" ] || { echo "demo: timed out waiting for: $1" >&2; exit 1; }
    sleep 0.1
  done
}

echo "== vmforge run $manifest"
"$vmforge" run "$manifest" --runtime-dir "$runtime" &
run_pid=$!
wait_for "'$vmforge' status '$name' --runtime-dir '$runtime' --json | grep -q '\"state\":\"running\"'" 600
echo
echo "== vmforge status $name"
"$vmforge" status "$name" --runtime-dir "$runtime"
echo
echo "== what the guest reports on its serial port ($serial)"
wait_for "grep -q 'vmforge-guest: ready' '$serial'" 600
grep 'vmforge-guest:' "$serial"
echo
echo "== vmforge qmp $name '{\"execute\": \"query-status\"}'"
"$vmforge" qmp "$name" '{"execute": "query-status"}' --runtime-dir "$runtime"
echo
echo "== vmforge stop $name"
"$vmforge" stop "$name" --runtime-dir "$runtime"
status=0
wait "$run_pid" || status=$?
run_pid=
echo "vmforge run exited with status $status"
exit "$status"
