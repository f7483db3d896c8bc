#!/usr/bin/env python3
"""Supervisor benchmark, side by side in one run against real QEMU 7.2 (TCG):

1. Start-up: `vmforge run` until READY=1 on a NOTIFY_SOCKET, against raw QEMU with the very
   same argv (from `vmforge compile --format json`, QMP listening socket as fd 3) until its
   first QMP reply (qmp_capabilities). Both are spawned and timed by start_timer.c with
   posix_spawn. Alternating rounds; medians and the ratio (target <= 1.07x, issue #11). Given --vmforge
   more than once, each build is one more arm of the same rounds (say, a change against a copy
   of the build before it), so that a loaded host weighs on all of them alike.
   A third arm, raw QEMU with `cont` written behind qmp_capabilities until the RESUME event,
   ends where READY=1 does, with the guest running: against it, what is left is vmforge's own
   cost (its process start and compile before QEMU's spawn, one more hop to the listener).
2. Memory of a running supervisor: Private_Dirty and Rss from /proc/PID/smaps_rollup
   (target Private_Dirty <= 1 MiB).
3. Idle wake-ups of a running supervisor over a window, from /proc/PID/schedstat (times it
   was scheduled in), without a watchdog (target 0) and with WatchdogSec=10s (expected: one
   ping per 5 s). The window opens once start-up has settled, 1 s after READY=1 (the QMP client
   disarms its command timer when the last reply is in)."""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# The serial port writes nowhere: vmforge passes a log file to QEMU as an inherited fd
# (-add-fd), which the raw arms, given the same argv, could not.
MANIFEST = """name = "{name}"
[machine]
type = "q35"
accel = ["tcg"]
[memory]
size = "256M"
[[serial]]
id = "console"
backend = "null"
[supervisor]
shutdown_timeout = "1s"
[[net]]
id = "eth0"
backend = "user"
"""


def notify_socket(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)
    return sock


def wait_ready(sock):
    while True:
        msg = sock.recv(4096).decode()
        if "READY=1" in msg:
            return


def qemu_argv(vmforge, manifest):
    """QEMU's argv for the manifest, as `vmforge run` would start it."""
    compiled = json.loads(subprocess.run([vmforge, "compile", manifest, "--format", "json"], check=True,
                                         stdout=subprocess.PIPE).stdout)
    return [compiled["qemu"]] + compiled["argv"]


def vmforge_run(vmforge, manifest, rundir, notify_path, extra_env=None):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path, **(extra_env or {}))
    return subprocess.Popen([vmforge, "run", manifest, "--runtime-dir", rundir], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def start_timer(timer, *args):
    out = subprocess.run([timer, *args], check=True, stdout=subprocess.PIPE, timeout=120)
    return float(out.stdout) / 1000


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def smaps_rollup(pid):
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def scheduled_count(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[2])
    return total


def supervisor_pid(rundir, name):
    with open(os.path.join(rundir, name, "lock")) as f:
        return int(f.read())


def idle_profile(vmforge, manifest, workdir, name, window, watchdog_usec=None):
    notify_path = os.path.join(workdir, "notify-idle")
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    sock = notify_socket(notify_path)
    rundir = os.path.join(workdir, "run")
    env = {"WATCHDOG_USEC": str(watchdog_usec)} if watchdog_usec else None
    proc = vmforge_run(vmforge, manifest, rundir, notify_path, env)
    wait_ready(sock)
    pid = supervisor_pid(rundir, name)
    time.sleep(1)
    memory = smaps_rollup(pid)
    before = scheduled_count(pid)
    time.sleep(window)
    wakeups = scheduled_count(pid) - before
    stop(proc)
    sock.close()
    return memory, wakeups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vmforge", required=True, action="append",
                        help="the vmforge to time; again to compare builds (memory, wake-ups: the first)")
    parser.add_argument("--start-timer", required=True)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--idle-window", type=float, default=10.0)
    args = parser.parse_args()
    load_before = load_average()
    workdir = tempfile.mkdtemp(prefix="vmf-bench-", dir="/tmp")
    name = "bench"
    manifest = os.path.join(workdir, "bench.toml")
    with open(manifest, "w") as f:
        f.write(MANIFEST.format(name=name))
    vmforge = args.vmforge[0]
    argv = qemu_argv(vmforge, manifest)
    raw_args = ["raw", workdir] + argv
    running_args = ["raw-running", workdir] + argv
    run_args = [["run", workdir, build, manifest] for build in args.vmforge]
    start_timer(args.start_timer, *raw_args)  # warm the page cache for all
    for arm in run_args:
        start_timer(args.start_timer, *arm)
    raw, running, runs = [], [], [[] for _ in run_args]
    for _ in range(args.rounds):
        raw.append(start_timer(args.start_timer, *raw_args))
        running.append(start_timer(args.start_timer, *running_args))
        for arm, times in zip(run_args, runs):
            times.append(start_timer(args.start_timer, *arm))
    raw_ms = statistics.median(raw) * 1000
    running_ms = statistics.median(running) * 1000
    # A program linked moments ago has its text in dirty page-cache pages, which smaps counts as
    # Private_Dirty of every process mapping it (1.5 MiB for vmforge) until writeback.
    os.sync()
    memory, idle = idle_profile(vmforge, manifest, workdir, name, args.idle_window)
    _, idle_watchdog = idle_profile(vmforge, manifest, workdir, name, args.idle_window, 10_000_000)

    print("supervisor benchmark (QEMU 7.2 TCG, q35, same argv; medians of %d rounds)" % args.rounds)
    # Other work on the host slows the arms unequally (vmforge has more processes to schedule).
    print("load average before and after: %s, %s" % (load_before, load_average()))
    print("%-44s %12s" % ("measure", "value"))
    print("%-44s %9.1f ms" % ("raw QEMU spawn -> first QMP reply", raw_ms))
    print("%-44s %9.1f ms" % ("raw QEMU spawn -> cont -> RESUME", running_ms))
    for build, times in zip(args.vmforge, runs):
        run_ms = statistics.median(times) * 1000
        if len(args.vmforge) > 1:
            print(build)
        print("%-44s %9.1f ms" % ("vmforge run -> READY=1", run_ms))
        print("%-44s %10.3fx   (target <= 1.07x)" % ("ratio run/raw", run_ms / raw_ms))
        print("%-44s %10.3fx   (both end with the guest running)" % ("ratio run/raw-running", run_ms / running_ms))
    print("%-44s %9d KiB   (target <= 1024 KiB)" % ("supervisor Private_Dirty", memory.get("Private_Dirty", -1)))
    print("%-44s %9d KiB   (govmm's Go process 9.3 MB, libvirtd 31.5 MB)" % ("supervisor Rss", memory.get("Rss", -1)))
    print("%-44s %9d       (target 0)" % ("idle wake-ups in %.0f s, no watchdog" % args.idle_window, idle))
    print("%-44s %9d       (one ping per 5 s expected)" % ("idle wake-ups in %.0f s, WatchdogSec=10s" % args.idle_window,
                                                          idle_watchdog))
    subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    main()
