#!/bin/sh
# Configures (once) and builds vmforge into ./build, and the tiny test guest into ./build/guest.
set -eu
cd "$(dirname "$0")/.."
# -Werror for development and CI only: people who build vmforge get warnings, not failures.
# debugoptimized keeps assertions and debug info for the tests (the default is release).
[ -f build/build.ninja ] || meson setup build -Dwerror=true --buildtype=debugoptimized
ninja -C build
guest/build.sh build/guest
