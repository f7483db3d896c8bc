#!/usr/bin/env python3
"""Host benchmark: N small VMs under `vmforge run` (QEMU 7.2, TCG, q35, no devices: SeaBIOS idles
with nothing to boot), started one after the other, then in one run:

1. `vmforge list` and `vmforge list --json` wall time (medians), against the floor of any
   command: `vmforge --version`, the same program started and ended (targets: list <= 20 ms).
2. `vmforge plan DIR` wall time over the N manifests, every VM converged (exit 0 is checked):
   each running VM is asked through its control socket (target <= 100 ms for 50).
3. Each supervisor's private memory from /proc/PID/smaps_rollup (Private_Clean +
   Private_Dirty; target <= 512 KiB), first VMs against last: flat, nothing grows with N."""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "supervisor"))
from run_supervisor_bench import smaps_rollup  # noqa: E402

# No NIC: SeaBIOS would try to boot from it, and 50 guests doing so under TCG keep the host busy.
VM = """name = "{name}"
[machine]
type = "q35"
accel = ["tcg"]
[memory]
size = "64M"
[supervisor]
shutdown_timeout = "1s"
"""


def wall_ms(argv, runs, expect=0):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != expect:
            sys.exit("%s exited %d, not %d: %s" % (" ".join(argv), done.returncode, expect, done.stderr.decode()))
    return statistics.median(times)


def private_kib(pid):
    fields = smaps_rollup(pid)
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Private_Dirty"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vmforge", required=True)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="vmf-host-bench-", dir="/tmp")
    manifests = os.path.join(workdir, "manifests")
    rundir = os.path.join(workdir, "run")
    os.makedirs(manifests)
    notify_path = os.path.join(workdir, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(120)
    names = ["vm%02d" % i for i in range(1, args.count + 1)]
    procs = []
    try:
        for name in names:
            path = os.path.join(manifests, name + ".toml")
            with open(path, "w") as f:
                f.write(VM.format(name=name))
            env = dict(os.environ, NOTIFY_SOCKET=notify_path)
            procs.append(subprocess.Popen([args.vmforge, "run", path, "--runtime-dir", rundir], env=env,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=open(os.path.join(workdir, name + ".log"), "w")))
            while "READY=1" not in notify.recv(4096).decode():
                pass
        # Nobody reads it from here on: closed, the supervisors' later notifications fail at once
        # instead of filling its queue (a full datagram queue blocks the sender).
        notify.close()
        os.sync()  # page-cache pages of a freshly linked program count as Private_Dirty until written
        time.sleep(1)
        floor = wall_ms([args.vmforge, "--version"], args.runs)
        listed = wall_ms([args.vmforge, "list", "--runtime-dir", rundir], args.runs)
        listed_json = wall_ms([args.vmforge, "list", "--json", "--runtime-dir", rundir], args.runs)
        planned = wall_ms([args.vmforge, "plan", manifests, "--runtime-dir", rundir], args.runs)
        memory = []
        for name in names:
            with open(os.path.join(rundir, name, "lock")) as f:
                memory.append(private_kib(int(f.read())))
        private = [m[0] for m in memory]
        dirty = [m[1] for m in memory]
        head = statistics.median(private[:5])
        tail = statistics.median(private[-5:])
        print("host benchmark: %d VMs under vmforge run (QEMU 7.2 TCG, q35, idle SeaBIOS); medians of %d runs"
              % (args.count, args.runs))
        print("%-46s %9.1f ms" % ("vmforge --version (start-up floor)", floor))
        print("%-46s %9.1f ms   (target <= 20 ms)" % ("vmforge list", listed))
        print("%-46s %9.1f ms" % ("vmforge list --json", listed_json))
        print("%-46s %9.1f ms   (target <= 100 ms)" % ("vmforge plan DIR (%d converged VMs)" % args.count, planned))
        print("%-46s %9d KiB  (target <= 512 KiB)" % ("supervisor private memory, median", statistics.median(private)))
        print("%-46s %6d-%d KiB" % ("supervisor private memory, min-max", min(private), max(private)))
        print("%-46s %6d-%d KiB" % ("supervisor Private_Dirty, min-max", min(dirty), max(dirty)))
        print("%-46s %9.2f      (flat: 1.00)" % ("private memory, last 5 / first 5 VMs", tail / head))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        notify.close()
        if os.environ.get("KEEP"): print(workdir)
        else: subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    main()
