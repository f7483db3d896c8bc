#!/bin/sh
# Installs dependencies, builds, and runs every test (unit, golden, real QEMU + guest).
# Ends with the line "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?
python3 scripts/count-tests.py build/meson-logs/testlog.json || status=1
exit "$status"
