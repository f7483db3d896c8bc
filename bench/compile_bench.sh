#!/bin/sh
# Benchmark: `vmforge compile` of a 64-device manifest as a whole process (exec, load, validate,
# lower, print), timed by hyperfine without a shell in between; prints the median.
# Usage: bench/compile_bench.sh [VMFORGE_BINARY] [RUNS]   (defaults: build/cli/vmforge, 300)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../build/cli/vmforge}
runs=${2:-300}
manifest=$here/compile-64.toml
target_ms=3

command -v hyperfine >/dev/null 2>&1 ||
  { echo "compile_bench.sh: hyperfine is missing; install it with scripts/install-deps.sh (as root)" >&2; exit 1; }
[ -x "$binary" ] || { echo "compile_bench.sh: no vmforge binary at '$binary'; build first" >&2; exit 1; }
binary=$(readlink -f "$binary")
"$binary" compile "$manifest" >/dev/null ||
  { echo "compile_bench.sh: '$binary compile $manifest' failed" >&2; exit 1; }

out=$(mktemp -d /tmp/vmforge-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
hyperfine --shell=none --style=none --warmup 20 --runs "$runs" --export-json "$out/result.json" \
  --output=null "$binary compile $manifest" >/dev/null
python3 - "$out/result.json" "$runs" "$target_ms" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
median_ms = result["median"] * 1000
print(f"vmforge compile, 64 devices, whole process: median {median_ms:.2f} ms "
      f"(mean {result['mean'] * 1000:.2f} ms, min {result['min'] * 1000:.2f} ms, {sys.argv[2]} runs; "
      f"target < {sys.argv[3]} ms: {'met' if median_ms < float(sys.argv[3]) else 'MISSED'})")
PY
