#!/bin/sh
# run-fuzz.sh TARGET SECONDS [BUILD_DIR]: run a libFuzzer target for SECONDS, one worker.
#   manifest     the manifest compiler front and lowering (what `check` runs). Seeds:
#                examples/*.toml, tests/compiler/validate/bad/*.toml and fuzz/corpus/manifest.
#   qmp_message  bytes from QEMU: framing, messages, reply parsers, observation. Seeds:
#                fuzz/corpus/qmp_message (QEMU 7.2's own output, observation replies, garbage).
# Findings are written to BUILD_DIR/TARGET-crashes; the exit status is libFuzzer's (0: none).
set -eu
target=${1:?usage: run-fuzz.sh manifest|qmp_message SECONDS [BUILD_DIR]}
seconds=${2:?usage: run-fuzz.sh manifest|qmp_message SECONDS [BUILD_DIR]}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${3:-$src/build-fuzz}
case $target in
  manifest) seeds="$src/examples/*.toml $src/tests/compiler/validate/bad/*.toml $src/fuzz/corpus/manifest/*"
            extra="-max_len=16384 -dict=$src/fuzz/manifest.dict" ;;
  qmp_message) seeds="$src/fuzz/corpus/qmp_message/*"
               extra="-max_len=65536" ;;
  *) echo "run-fuzz.sh: unknown target '$target' (manifest or qmp_message)" >&2; exit 2 ;;
esac
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ meson setup "$build" "$src" -Dfuzz=enabled -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" -j2 "fuzz/${target}_fuzz"
corpus="$build/$target-corpus"
crashes="$build/$target-crashes"
mkdir -p "$corpus" "$crashes"
# shellcheck disable=SC2086 # the globs expand here
cp $seeds "$corpus"/
# -rss_limit_mb and -timeout turn leaks and hangs into findings.
# shellcheck disable=SC2086
"$build/fuzz/${target}_fuzz" "$corpus" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
  $extra -artifact_prefix="$crashes/" -print_final_stats=1
