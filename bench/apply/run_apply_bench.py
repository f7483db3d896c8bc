#!/usr/bin/env python3
"""Apply benchmark: 16 disk additions to a running VM, in one run, against real QEMU 7.2 (TCG,
q35, firmware with no boot device, 16 spare hotplug root ports), each client on a fresh VM
started by `vmforge run` from the same manifest:

  vmforge       `vmforge apply big.toml`, wall time of the whole command: CLI start, manifest
                read and validated (by the CLI and again by the supervisor), control socket,
                observation (two pipelined query rounds), diff, the 48 steps (pipelined across
                disks), observation again to verify, manifest saved atomically, reply.
  minimal C     bench/qmp/minimal_qmp_client on the VM's extra [[qmp_socket]], sending exactly
                the QMP commands of vmforge's plan (`vmforge plan --from --json`), one at a
                time ("serial-script"; the target baseline) and, for reference, all at once
                ("script"). Time from the first command to the last reply (connected already).
  govmm         bench/qmp/govmm (Kata's govmm, Debian package, offline): ExecuteBlockdevAdd-
                WithDriverCache + ExecuteDeviceAdd per disk (32 commands), as a govmm user
                would; time from the first command to the last reply.

Prints the medians with the ratios; the target is vmforge <= 1.10x the one-at-a-time C client."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

NAME = "applybench"


def manifest(workdir, disks):
    text = ('name = "%s"\n[machine]\ntype = "q35"\naccel = ["tcg"]\nhotplug_slots = %d\n[memory]\nsize = "128M"\n'
            '[supervisor]\nshutdown_timeout = "1s"\n[[qmp_socket]]\npath = "%s/qmp/extra.sock"\n'
            % (NAME, disks, workdir))
    for i in range(disks):
        text += '[[disk]]\nid = "d%d"\nfile = "%s/d%d.img"\nhotplug = true\n' % (i, workdir, i)
    return text


def check(argv, ok=(0,)):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if out.returncode not in ok:
        sys.exit("run_apply_bench: %s failed (%d): %s%s" % (" ".join(argv), out.returncode, out.stdout, out.stderr))
    return out.stdout


class Vm:
    """A VM under `vmforge run base.toml`, stopped with SIGTERM (shutdown_timeout 1 s). Its
    state dir is on tmpfs (/dev/shm), as vmforge's default /run/vmforge is on a systemd host:
    the manifest saved after an apply is fsync'ed, which costs milliseconds on a disk."""

    def __init__(self, vmforge, workdir, rundir):
        self.vmforge = vmforge
        self.runtime = rundir
        self.extra = os.path.join(workdir, "qmp", "extra.sock")
        self.log = open(os.path.join(workdir, "run.log"), "a")
        self.proc = subprocess.Popen([vmforge, "run", os.path.join(workdir, "base.toml"), "--runtime-dir", self.runtime],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        query = json.dumps({"execute": "query-status"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit("run_apply_bench: vmforge run exited with %d (see %s)" % (self.proc.returncode, self.log.name))
            out = subprocess.run([vmforge, "qmp", NAME, query, "--runtime-dir", self.runtime], capture_output=True,
                                 text=True)
            if out.returncode == 0 and json.loads(out.stdout).get("running") and os.path.exists(self.extra):
                return
            time.sleep(0.05)
        sys.exit("run_apply_bench: the VM did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def run_vmforge(vmforge, workdir, rundir):
    vm = Vm(vmforge, workdir, rundir)
    start = time.perf_counter()
    check([vmforge, "apply", os.path.join(workdir, "big.toml"), "--runtime-dir", vm.runtime])
    seconds = time.perf_counter() - start
    vm.stop()
    return seconds


def run_client(vmforge, workdir, rundir, argv):
    vm = Vm(vmforge, workdir, rundir)
    result = json.loads(check([a.replace("@SOCKET@", vm.extra) for a in argv]))
    vm.stop()
    return result["seconds"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vmforge", required=True)
    p.add_argument("--minimal", required=True)
    p.add_argument("--govmm")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--disks", type=int, default=16)
    a = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="vmf-apply-", dir="/tmp")
    # QEMU creates the extra QMP socket itself, and as root vmforge runs it as vmforge-qemu: a
    # directory of its own, reached through the (otherwise private) work directory.
    os.mkdir(os.path.join(workdir, "qmp"))
    if os.geteuid() == 0:
        os.chmod(workdir, 0o711)
        shutil.chown(os.path.join(workdir, "qmp"), user="vmforge-qemu")
    rundir = tempfile.mkdtemp(prefix="vmf-apply-", dir="/dev/shm")
    try:
        for i in range(a.disks):
            subprocess.run(["qemu-img", "create", "-q", "-f", "raw", "%s/d%d.img" % (workdir, i), "1M"], check=True)
            if os.geteuid() == 0:  # govmm names the files to QEMU, which must then open them itself
                shutil.chown("%s/d%d.img" % (workdir, i), user="vmforge-qemu")
        with open(os.path.join(workdir, "base.toml"), "w") as f:
            f.write(manifest(workdir, 0).replace("hotplug_slots = 0", "hotplug_slots = %d" % a.disks))
        with open(os.path.join(workdir, "big.toml"), "w") as f:
            f.write(manifest(workdir, a.disks))
        # The exact commands vmforge's plan sends, for the C client.
        plan = json.loads(check([a.vmforge, "plan", os.path.join(workdir, "big.toml"), "--from",
                                 os.path.join(workdir, "base.toml"), "--json"], ok=(2,)))
        steps = [s for c in plan["changes"] for s in c["steps"]]
        with open(os.path.join(workdir, "steps.jsonl"), "w") as f:
            for n, s in enumerate(steps):
                line = json.dumps({"execute": s["command"], "arguments": s["arguments"], "id": n})
                if "file" in s:  # add-fd: the client passes the file (minimal_qmp_client.c, "@")
                    mode = "r" if s["file"]["open"] == "read" else "w"
                    line = "@%s %s\t%s" % (mode, s["file"]["path"], line)
                f.write(line + "\n")

        clients = [
            ("minimal C, one at a time", [a.minimal, "@SOCKET@", "serial-script", workdir + "/steps.jsonl"]),
            ("minimal C, pipelined", [a.minimal, "@SOCKET@", "script", workdir + "/steps.jsonl"]),
        ]
        if a.govmm and os.access(a.govmm, os.X_OK):
            clients.append(("govmm", [a.govmm, "-socket", "@SOCKET@", "-mode", "hotplug", "-dir", workdir,
                                      "-disks", str(a.disks), "-bus-prefix", "vmforge-rp", "-bus-first", "0"]))
        ms = {"vmforge apply": []}
        ms.update({name: [] for name, _ in clients})
        for _ in range(a.rounds):
            ms["vmforge apply"].append(run_vmforge(a.vmforge, workdir, rundir) * 1000)
            for name, argv in clients:
                ms[name].append(run_client(a.vmforge, workdir, rundir, argv) * 1000)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(rundir, ignore_errors=True)

    med = {name: statistics.median(v) for name, v in ms.items()}
    base = med["minimal C, one at a time"]
    print("Apply benchmark: %d disk additions, QEMU 7.2 TCG (q35, idle firmware), medians of %d rounds"
          % (a.disks, a.rounds))
    print("vmforge sends %d steps plus its observation queries; the C client the same %d steps"
          % (len(steps), len(steps)))
    print("%-30s %10s %10s %10s %12s" % ("", "median ms", "min ms", "max ms", "/ C serial"))
    for name in ms:
        print("%-30s %10.1f %10.1f %10.1f %11.2fx" % (name, med[name], min(ms[name]), max(ms[name]), med[name] / base))
    ratio = med["vmforge apply"] / base
    print("vmforge apply / minimal C one at a time: %.2fx (target <= 1.10: %s)"
          % (ratio, "met" if ratio <= 1.10 else "MISSED"))
    print("vmforge apply / minimal C pipelined: %.2fx" % (med["vmforge apply"] / med["minimal C, pipelined"]))
    if "govmm" in med:
        print("vmforge apply / govmm: %.2fx" % (med["vmforge apply"] / med["govmm"]))
    else:
        print("govmm: not built (needs go and golang-github-kata-containers-govmm-dev)")


if __name__ == "__main__":
    main()
