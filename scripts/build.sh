#!/bin/sh
# Configures (once) and builds vmforge into ./build, and the tiny test guest into ./build/guest.
set -eu
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build
ninja -C build
guest/build.sh build/guest
