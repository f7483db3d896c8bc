#!/usr/bin/env python3
"""QMP benchmark: vmforge's client against the minimal C client (the limit) and govmm, in one
run, against real QEMU 7.2 (TCG, running SeaBIOS with no boot device).

For each round and client: a fresh QEMU; `serial` query-status round trips, `pipelined`
query-status throughput; then a fresh QEMU for 16 disk hotplugs (blockdev-add + device_add on
16 pcie-root-ports). Medians over the rounds are printed as a table with the ratios that the
targets are about (issue #11): round trip <= 1.0x the minimal client, pipelined >= 1.0x of it.
The minimal client sends `"id":1` with each command; vmforge's client sends no id (it matches
replies in order), which QEMU, reading a byte per pass of its loop, answers sooner."""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def start_qemu(workdir, name):
    sock = os.path.join(workdir, name + ".sock")
    args = ["qemu-system-x86_64", "-nodefaults", "-display", "none", "-accel", "tcg", "-machine", "q35",
            "-m", "128M", "-qmp", "unix:%s,server=on,wait=off" % sock]
    for i in range(16):
        args += ["-device", json.dumps({"driver": "pcie-root-port", "id": "rp%d" % (i + 1), "chassis": i + 1,
                                        "bus": "pcie.0", "addr": "0x%x.0x%x" % (2 + i // 8, i % 8),
                                        **({"multifunction": True} if i % 8 == 0 else {})})]
    qemu = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(500):
        # QEMU binds the socket file before it listens: wait until a connect succeeds. The
        # probe connection ends at once; QEMU then takes the benchmark client.
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(sock)
            probe.close()
            return qemu, sock
        except OSError:
            probe.close()
        if qemu.poll() is not None:
            sys.exit("run_qmp_bench: QEMU failed: %s" % qemu.stderr.read().decode(errors="replace"))
        time.sleep(0.01)
    sys.exit("run_qmp_bench: QEMU did not create its QMP socket")


def stop_qemu(qemu):
    qemu.kill()
    qemu.wait()


def run(argv):
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if out.returncode != 0:
        sys.exit("run_qmp_bench: %s failed: %s" % (" ".join(argv), out.stderr.decode(errors="replace")))
    return json.loads(out.stdout)


def command(client, binary, sock, mode, arg, workdir, disks):
    if client == "govmm":
        if mode == "hotplug":
            return [binary, "-socket", sock, "-mode", "hotplug", "-dir", workdir, "-disks", str(disks)]
        return [binary, "-socket", sock, "-mode", mode, "-n", str(arg)]
    if mode == "hotplug":
        if client == "minimal-c":
            return [binary, sock, "script", os.path.join(workdir, "hotplug.jsonl")]
        return [binary, sock, "hotplug", workdir, str(disks)]
    return [binary, sock, mode, str(arg)]


def write_hotplug_script(workdir, disks):
    with open(os.path.join(workdir, "hotplug.jsonl"), "w") as f:
        for i in range(disks):
            f.write(json.dumps({"execute": "blockdev-add", "arguments": {
                "driver": "raw", "node-name": "d%d.fmt" % i,
                "file": {"driver": "file", "filename": os.path.join(workdir, "d%d.img" % i)}}, "id": 2 * i}) + "\n")
            f.write(json.dumps({"execute": "device_add", "arguments": {
                "driver": "virtio-blk-pci", "id": "d%d" % i, "drive": "d%d.fmt" % i, "bus": "rp%d" % (i + 1)},
                "id": 2 * i + 1}) + "\n")
        for i in range(disks):
            subprocess.run(["qemu-img", "create", "-q", "-f", "raw", os.path.join(workdir, "d%d.img" % i), "1M"],
                           check=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minimal", required=True)
    p.add_argument("--vmforge", required=True)
    p.add_argument("--govmm")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--serial", type=int, default=2000)
    p.add_argument("--pipelined", type=int, default=10000)
    p.add_argument("--disks", type=int, default=16)
    a = p.parse_args()
    clients = [("minimal-c", a.minimal), ("vmforge", a.vmforge)]
    if a.govmm and os.access(a.govmm, os.X_OK):
        clients.append(("govmm", a.govmm))
    workdir = tempfile.mkdtemp(prefix="vmf-bench-", dir="/tmp")
    results = {c: {"rtt": [], "rtt99": [], "serial": [], "pipelined": [], "hotplug": []} for c, _ in clients}
    try:
        write_hotplug_script(workdir, a.disks)
        for r in range(a.rounds):
            for client, binary in clients:
                qemu, sock = start_qemu(workdir, "q%d-%s" % (r, client))
                s = run(command(client, binary, sock, "serial", a.serial, workdir, a.disks))
                results[client]["rtt"].append(s["p50_us"])
                results[client]["rtt99"].append(s["p99_us"])
                results[client]["serial"].append(s["n"] / s["seconds"])
                pl = run(command(client, binary, sock, "pipelined", a.pipelined, workdir, a.disks))
                results[client]["pipelined"].append(pl["n"] / pl["seconds"])
                stop_qemu(qemu)
                qemu, sock = start_qemu(workdir, "h%d-%s" % (r, client))
                h = run(command(client, binary, sock, "hotplug", 0, workdir, a.disks))
                results[client]["hotplug"].append(h["seconds"] * 1000)
                stop_qemu(qemu)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    med = {c: {k: statistics.median(v) for k, v in m.items()} for c, m in results.items()}
    names = [c for c, _ in clients]
    print("QMP benchmark, QEMU 7.2 TCG, medians of %d rounds (serial %d, pipelined %d, %d disks)"
          % (a.rounds, a.serial, a.pipelined, a.disks))
    print("%-34s" % "" + "".join("%14s" % n for n in names))
    rows = [("query-status round trip p50 (us)", "rtt", "%14.1f"),
            ("query-status round trip p99 (us)", "rtt99", "%14.1f"),
            ("serial (cmd/s)", "serial", "%14.0f"),
            ("pipelined (cmd/s)", "pipelined", "%14.0f"),
            ("%d disk hotplugs (ms)" % a.disks, "hotplug", "%14.1f")]
    for label, key, fmt in rows:
        print("%-34s" % label + "".join(fmt % med[n][key] for n in names))
    rtt = med["vmforge"]["rtt"] / med["minimal-c"]["rtt"]
    pipe = med["vmforge"]["pipelined"] / med["minimal-c"]["pipelined"]
    print("vmforge / minimal C: round trip %.3fx (target <= 1.00: %s), pipelined %.3fx (target >= 1.00: %s)"
          % (rtt, "met" if rtt <= 1.00 else "MISSED", pipe, "met" if pipe >= 1.00 else "MISSED"))
    if "govmm" in med:
        print("vmforge / govmm: round trip %.3fx, pipelined %.2fx, hotplug %.2fx"
              % (rtt * med["minimal-c"]["rtt"] / med["govmm"]["rtt"],
                 med["vmforge"]["pipelined"] / med["govmm"]["pipelined"],
                 med["vmforge"]["hotplug"] / med["govmm"]["hotplug"]))
    else:
        print("govmm: not built (needs go and golang-github-kata-containers-govmm-dev)")


if __name__ == "__main__":
    main()
