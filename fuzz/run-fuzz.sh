#!/bin/sh
# run-manifest-fuzz.sh SECONDS [BUILD_DIR]: fuzz the manifest compiler front (validate_text) for
# SECONDS with libFuzzer. Seeds: examples/*.toml, tests/compiler/bad/*.toml and the regression
# inputs in fuzz/corpus/manifest. New findings are written to BUILD_DIR/manifest-crashes.
set -eu
seconds=${1:?usage: run-manifest-fuzz.sh SECONDS [BUILD_DIR]}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$src/build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ meson setup "$build" "$src" -Dfuzz=enabled -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" -j2 fuzz/manifest_fuzz
corpus="$build/manifest-corpus"
crashes="$build/manifest-crashes"
mkdir -p "$corpus" "$crashes"
cp "$src"/examples/*.toml "$src"/tests/compiler/bad/*.toml "$src"/fuzz/corpus/manifest/* "$corpus"/
# One worker: the machine is shared. -rss_limit_mb and -timeout turn leaks/hangs into findings.
"$build/fuzz/manifest_fuzz" "$corpus" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
  -max_len=16384 -dict="$src/fuzz/manifest.dict" -artifact_prefix="$crashes/" -print_final_stats=1
