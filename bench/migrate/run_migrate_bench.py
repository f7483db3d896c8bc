#!/usr/bin/env python3
"""Live migration benchmark, in one run, on this host against real QEMU 7.2 (TCG, q35, 512 MiB,
firmware with no boot device: an idle guest), over tcp on 127.0.0.1, alternating --rounds each:

  vmforge     a source `vmforge run`, a destination `vmforge run --incoming tcp:…` (its own
              runtime dir), then `vmforge migrate NAME --to tcp:…`: the CLI, both supervisors,
              the capabilities they set, their polling and MIGRATION events.
  minimal C   the same QEMU argv (`vmforge compile`, the QMP monitor on a socket path instead of
              fd 3) started by this script, the destination with `-incoming defer`; the same QMP
              commands (migrate-set-capabilities events + return-path, migrate-set-parameters,
              migrate-incoming; migrate) sent by bench/qmp/minimal_qmp_client, one at a time.

For each: QEMU's own `total-time` and `downtime` of the migration (query-migrate on the source
once it is `completed`) and, for reference, the wall time from the command to completion.

Over tcp a round's downtime may include a delayed ACK of at least 40 ms, on both sides alike
(bench/README.md, "Live migration"): a round with that much downtime counts as "delayed", each
arm's share of them is printed, and the medians are compared within each mode besides over all
rounds, whose median flips with that share. `--transport unix` uses a Unix socket instead.
Prints the medians and the ratios vmforge / minimal C (target <= 1.1x)."""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NAME = "migbench"
DELAYED_ACK_MS = 40  # Linux's TCP_DELACK_MIN
CAPS = {"execute": "migrate-set-capabilities", "arguments": {"capabilities": [
    {"capability": "events", "state": True}, {"capability": "return-path", "state": True},
    {"capability": "auto-converge", "state": False}, {"capability": "postcopy-ram", "state": False},
    {"capability": "multifd", "state": False}]}}
PARAMS = {"execute": "migrate-set-parameters", "arguments": {}}


STARTED = []  # every process this script started, ended on the way out whatever happens


def fail(text):
    sys.exit("run_migrate_bench: " + text)


def spawn(argv, log):
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    STARTED.append(proc)
    return proc


def check(argv):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        fail("%s failed (%d): %s%s" % (" ".join(argv), out.returncode, out.stdout, out.stderr))
    return out.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    fail("timed out waiting for " + what)


class Qmp:
    """A small QMP client of this script's own, to watch a baseline QEMU (not measured)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        wait_for("QMP socket " + path, lambda: self.sock.connect_ex(path) == 0)
        self.file = self.sock.makefile("rw")
        self.file.readline()
        self.call("qmp_capabilities")

    def call(self, command, arguments=None):
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                fail("%s: %s" % (command, reply["error"]))

    def close(self):
        self.file.close()
        self.sock.close()


def completed_stats(query):
    """query-migrate once `completed`, with total-time filled in (it may lag a moment)."""
    def done():
        info = query()
        if info.get("status") in ("failed", "cancelled"):
            fail("migration %s: %s" % (info.get("status"), info.get("error-desc")))
        return info if info.get("status") == "completed" and info.get("total-time") else None
    return wait_for("a completed migration", done, 300)


def new_uri(transport, workdir):
    if transport == "unix":
        sockets = os.path.join(workdir, "sockets")  # vmforge's QEMU runs as vmforge-qemu: it must create one here
        os.makedirs(sockets, exist_ok=True)
        os.chmod(sockets, 0o1777)
        path = os.path.join(sockets, "migrate.sock")
        if os.path.exists(path):
            os.unlink(path)
        return "unix:" + path
    return "tcp:127.0.0.1:%d" % free_port()


def vmforge_round(vmforge, workdir, manifest, transport):
    rt1, rt2 = os.path.join(workdir, "rt1"), os.path.join(workdir, "rt2")
    uri = new_uri(transport, workdir)
    log = open(os.path.join(workdir, "vmforge.log"), "a")
    src = spawn([vmforge, "run", manifest, "--runtime-dir", rt1], log)
    def status(rt):
        out = subprocess.run([vmforge, "status", NAME, "--json", "--runtime-dir", rt], capture_output=True, text=True)
        return json.loads(out.stdout) if out.stdout.strip() else {}
    wait_for("the source", lambda: status(rt1).get("run_state") == "running")
    time.sleep(1)  # the firmware settles
    dst = spawn([vmforge, "run", manifest, "--incoming", uri, "--runtime-dir", rt2], log)
    wait_for("the destination", lambda: status(rt2).get("state") == "inmigrate")
    start = time.perf_counter()
    out = check([vmforge, "migrate", NAME, "--to", uri, "--runtime-dir", rt1])
    wall = time.perf_counter() - start
    if src.wait(60) != 0:
        fail("the source supervisor exited with %d" % src.returncode)
    dst.send_signal(signal.SIGTERM)
    dst.wait(60)
    log.close()
    # "VM 'NAME' migrated to 'URI' in 0.734s (downtime 32 ms).": QEMU's total-time and downtime.
    total_ms = float(out.split("' in ")[1].split("s (")[0]) * 1000
    downtime_ms = float(out.split("(downtime ")[1].split(" ms")[0])
    return total_ms, downtime_ms, wall


def baseline_argv(vmforge, manifest, qmp_path):
    compiled = json.loads(check([vmforge, "compile", manifest]))
    argv = [compiled["qemu"]] + [a for a in compiled["argv"] if a != "-S"]
    return [a.replace("fd=3", "path=" + qmp_path) for a in argv]


def minimal_round(minimal, vmforge, workdir, manifest, transport):
    uri = new_uri(transport, workdir)
    src_qmp, dst_qmp = os.path.join(workdir, "src.qmp"), os.path.join(workdir, "dst.qmp")
    for p in (src_qmp, dst_qmp):
        if os.path.exists(p):
            os.unlink(p)
    log = open(os.path.join(workdir, "qemu.log"), "a")
    src = spawn(baseline_argv(vmforge, manifest, src_qmp), log)
    wait_for("the source's QMP socket", lambda: os.path.exists(src_qmp))
    time.sleep(1)
    dst = spawn(baseline_argv(vmforge, manifest, dst_qmp) + ["-incoming", "defer"], log)
    wait_for("the destination's QMP socket", lambda: os.path.exists(dst_qmp))
    dst_script = os.path.join(workdir, "dst.jsonl")
    with open(dst_script, "w") as f:
        for m in (CAPS, PARAMS, {"execute": "migrate-incoming", "arguments": {"uri": uri}}):
            f.write(json.dumps(m) + "\n")
    src_script = os.path.join(workdir, "src.jsonl")
    with open(src_script, "w") as f:
        for m in (CAPS, PARAMS, {"execute": "migrate", "arguments": {"uri": uri}}):
            f.write(json.dumps(m) + "\n")
    start = time.perf_counter()
    check([minimal, dst_qmp, "serial-script", dst_script])
    check([minimal, src_qmp, "serial-script", src_script])
    watch_src = Qmp(src_qmp)  # QEMU's monitor serves one client at a time: after the minimal one
    info = completed_stats(lambda: watch_src.call("query-migrate"))
    wall = time.perf_counter() - start
    watch_src.close()
    for p in (src, dst):
        p.terminate()
        p.wait(60)
    log.close()
    return float(info["total-time"]), float(info["downtime"]), wall


def medians(rows):
    """[total, downtime, wall] medians of `rows`, or None without rows."""
    return [statistics.median(r[i] for r in rows) for i in range(3)] if rows else None


def report(results):
    modes = {}  # arm -> {"all"|"prompt"|"delayed": medians}
    for name, rows in results.items():
        delayed = [r for r in rows if r[1] >= DELAYED_ACK_MS]
        prompt = [r for r in rows if r[1] < DELAYED_ACK_MS]
        modes[name] = {"all": medians(rows), "prompt": medians(prompt), "delayed": medians(delayed)}
        m = modes[name]["all"]
        print("%-10s total-time %7.1f ms  downtime %5.1f ms  wall %6.3f s   runs (total/downtime ms): %s"
              % (name, m[0], m[1], m[2], ", ".join("%.0f/%.0f" % (r[0], r[1]) for r in rows)))
        for mode, part in (("prompt", prompt), ("delayed", delayed)):
            m = modes[name][mode]
            if m:
                print("%-10s   %-7s %2d of %2d rounds: total-time %7.1f ms  downtime %5.1f ms"
                      % ("", mode, len(part), len(rows), m[0], m[1]))
    v, c = modes["vmforge"], modes["minimal C"]
    for mode in ("all", "prompt", "delayed"):
        if v[mode] and c[mode]:
            print("vmforge / minimal C, %-7s rounds: total-time %.2fx, downtime %.2fx (target <= 1.1x), wall %.2fx"
                  % (mode, v[mode][0] / c[mode][0], v[mode][1] / c[mode][1], v[mode][2] / c[mode][2]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vmforge", required=True)
    parser.add_argument("--minimal", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--transport", choices=["tcp", "unix"], default="tcp")
    args = parser.parse_args()
    vmforge = os.path.abspath(args.vmforge)
    workdir = tempfile.mkdtemp(prefix="vmf-migrate-bench-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    try:
        manifest = os.path.join(workdir, "vm.toml")
        with open(manifest, "w") as f:
            f.write('name = "%s"\n[machine]\ntype = "q35"\naccel = ["tcg"]\n[memory]\nsize = "512M"\n'
                    '[supervisor]\nshutdown_timeout = "1s"\n' % NAME)
        results = {"vmforge": [], "minimal C": []}
        for _ in range(args.rounds):
            results["vmforge"].append(vmforge_round(vmforge, workdir, manifest, args.transport))
            results["minimal C"].append(minimal_round(args.minimal, vmforge, workdir, manifest, args.transport))
        report(results)
    finally:
        for proc in STARTED:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
