#!/usr/bin/env python3
"""Records QEMU 7.2's replies to vmforge's observation queries into replies.json, for the unit
tests of supervisor/core/observed_state (tests/supervisor/core/observed_state_test.cpp).

    record.py VMFORGE_BINARY GUEST_DIR

Boots booted.toml under `vmforge run` (paths under /tmp/vmforge-observed, which it creates and
removes), applies applied.toml (a third CPU, hot-plugged), deletes 'data2' with a device_del
sent behind vmforge's back (its block nodes stay: a leak), waits for the guest to follow the
balloon target, then sends every round-one query of observe() and, for every device, the
qom-get queries round two may send, through `vmforge qmp`. Each reply is stored as
{"execute", "arguments", "return"} or, for a round-one query QEMU refused, {"execute",
"arguments", "error"}; a property a device does not have is left out."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

DIR = "/tmp/vmforge-observed"
HERE = os.path.dirname(os.path.abspath(__file__))

# observe()'s round one (supervisor/core/observed_state.cpp, first_queries()).
FIRST = [
    ("qom-list", {"path": "/machine/peripheral"}),
    ("query-block", None),
    ("query-named-block-nodes", {"flat": True}),
    ("query-chardev", None),
    ("human-monitor-command", {"command-line": "info network"}),
    ("query-hotpluggable-cpus", None),
    ("query-memory-devices", None),
    ("qom-list", {"path": "/objects"}),
    ("query-balloon", None),
    ("query-fdsets", None),
]
# Every property round two may read of a device.
PROPERTIES = ["hotplugged", "parent_bus", "serial", "name", "tag", "guest-cid", "host"]


def vmforge(binary, *args, check=True):
    out = subprocess.run([binary, *args, "--runtime-dir", DIR + "/rt"], capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        sys.exit("record.py: vmforge %s failed: %s%s" % (" ".join(args), out.stdout, out.stderr))
    return out


def qmp(binary, command, arguments):
    message = {"execute": command}
    if arguments is not None:
        message["arguments"] = arguments
    out = vmforge(binary, "qmp", "obs", json.dumps(message), check=False)
    entry = {"execute": command, "arguments": arguments}
    if out.returncode == 0:
        entry["return"] = json.loads(out.stdout)
    else:
        entry["error"] = out.stderr.strip()
    return entry


def wait_for(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    sys.exit("record.py: timed out waiting for " + what)


def serial_has(line):
    try:
        with open(DIR + "/serial.log", errors="replace") as f:
            return line in f.read()
    except FileNotFoundError:
        return False


def main():
    binary, guest = sys.argv[1], sys.argv[2]
    if os.path.exists(DIR):
        sys.exit("record.py: %s exists; remove it first" % DIR)
    os.makedirs(DIR)
    supervisor = None
    try:
        os.symlink(os.path.join(os.path.abspath(guest), "vmlinuz"), DIR + "/vmlinuz")
        os.symlink(os.path.join(os.path.abspath(guest), "initrd.img"), DIR + "/initrd.img")
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", DIR + "/d1.raw", "8M"], check=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", DIR + "/d2.qcow2", "16M"], check=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", DIR + "/a.iso", "1M"], check=True)
        for name in ("booted.toml", "applied.toml"):
            shutil.copy(os.path.join(HERE, name), DIR)
        supervisor = subprocess.Popen([binary, "run", DIR + "/booted.toml", "--runtime-dir", DIR + "/rt"],
                                      stderr=open(DIR + "/run.log", "w"))
        wait_for("the guest", lambda: serial_has("vmforge-guest: ready"))
        vmforge(binary, "apply", DIR + "/applied.toml")
        qmp(binary, "device_del", {"id": "data2"})
        wait_for("data2 to go", lambda: "data2" not in json.dumps(qmp(binary, "qom-list", {"path": "/machine/peripheral"})))
        wait_for("the balloon", lambda: qmp(binary, "query-balloon", None)["return"]["actual"] == 384 << 20)

        replies = [qmp(binary, command, arguments) for command, arguments in FIRST]
        for device in replies[0]["return"]:
            if not device["type"].startswith("child<"):
                continue
            for prop in PROPERTIES:
                reply = qmp(binary, "qom-get", {"path": "/machine/peripheral/" + device["name"], "property": prop})
                if "return" in reply:
                    replies.append(reply)
        with open(os.path.join(HERE, "replies.json"), "w") as f:
            f.write("[\n" + ",\n".join(json.dumps(r, sort_keys=True) for r in replies) + "\n]\n")
    finally:
        if supervisor:
            supervisor.send_signal(signal.SIGTERM)
            supervisor.wait(60)
        shutil.rmtree(DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
