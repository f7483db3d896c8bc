#!/usr/bin/env python3
"""Prints 'N passed, N failed' from meson's testlog.json as the last line (skipped tests, those
that exit 77 because the host lacks what they need, are named on the line before); exits 1 if
anything failed."""
import json
import sys

passed = failed = 0
skipped = []
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        test = json.loads(line)
        result = test.get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped.append(test.get("name", "?"))
        else:
            failed += 1
if skipped:
    print(f"{len(skipped)} skipped (this host lacks what they need; see their output): {', '.join(skipped)}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
