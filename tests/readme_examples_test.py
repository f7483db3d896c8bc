#!/usr/bin/env python3
"""Every manifest the README shows as a file (a paragraph ending in "`examples/NAME.toml`:"
followed by a toml block) is that file, byte for byte: the example is what the golden and
qemu-accepts tests check, so the README shows what is tested."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
readme = (root / "README.md").read_text()
blocks = re.findall(r"`(examples/[\w.-]+\.toml)`:\n\n```toml\n(.*?)```", readme, re.S)
if not blocks:
    sys.exit("README.md shows no example manifest as a file; this test expects at least one")
failed = False
for name, text in blocks:
    if (root / name).read_text() != text:
        print(f"README.md shows '{name}' differently from the file; copy the file into the README")
        failed = True
    else:
        print(f"ok: {name}")
sys.exit(1 if failed else 0)
