#!/bin/sh
# The README's promise about a plain `meson setup`: release (optimised, no debug info), stripped
# on install, warnings never fatal. Read from the project's own defaults, as a new build dir
# would get them.
set -eu
meson introspect --buildoptions "$VMFORGE_SOURCE_DIR/meson.build" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
want = {"buildtype": "release", "strip": True, "werror": False}
got = {k: o[k] for k in want}
if got != want:
    sys.exit("a plain meson setup gives %s, the README says %s" % (got, want))
print("a plain meson setup builds", got)'
