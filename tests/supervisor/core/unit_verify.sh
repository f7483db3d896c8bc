#!/bin/sh
# Runs `systemd-analyze verify` on vmforge@.service, instantiated as vmforge@test.service with
# the built binary as ExecStart. Any complaint (systemd-analyze exits 0 on most) fails the test.
# Then `systemd-analyze security --offline=yes`: an exposure above 5.0 fails it (README, systemd).
set -eu
template=$1
binary=$2
dir=$(mktemp -d /tmp/vmf-unit-XXXXXX)
trap 'rm -rf "$dir"' EXIT
sed -e "s|@bindir@|$(dirname "$(realpath "$binary")")|g" -e "s|@sysconfdir@|/etc|g" \
  "$template" >"$dir/vmforge@.service"
if ! systemd-analyze verify "$dir/vmforge@test.service" >"$dir/out" 2>&1 || [ -s "$dir/out" ]; then
  cat "$dir/out" >&2
  echo "systemd-analyze verify rejected vmforge@.service" >&2
  exit 1
fi
echo "systemd-analyze verify accepts vmforge@.service"
if ! systemd-analyze security --offline=yes --threshold=50 "$dir/vmforge@test.service" >"$dir/out" 2>&1; then
  cat "$dir/out" >&2
  echo "vmforge@.service is exposed above 5.0 (systemd-analyze security)" >&2
  exit 1
fi
tail -n 1 "$dir/out"
