#!/usr/bin/env python3
"""Backup benchmark, in one run, against real QEMU 7.2 (TCG, q35, firmware with no boot device:
the guest does nothing, so the copy has the host to itself), a 1 GiB qcow2 disk full of data:

  full          `vmforge backup NAME --to DIR`, wall time of the whole command (CLI, control
                socket, image created, fd passed, nodes added, the blockdev-backup job, nodes
                removed, which flushes the image to disk, record saved), against `qemu-img
                convert -U -O qcow2` of the same image (the running VM holds it), alternating,
                --rounds each; throughput ratio = convert time / backup time (target >= 0.9).
                Twice: against convert as it comes (its output's cache mode is `unsafe`: it
                never flushes, the image may still be in the page cache when it exits) and
                against `convert -t writeback` (flushed at the end, as durable as the backup).
  incremental   after a full backup, 1% of the disk (10 MiB) written through QEMU (HMP qemu-io
                on the disk's format node, so the dirty bitmap sees it; the disk is share_rw
                so that qemu-io may write beside the device), then
                `vmforge backup --incremental`: its time and image size against the full one's.

Prints the medians and the ratios."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

NAME = "backupbench"
SIZE = 1 << 30


def check(argv):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        sys.exit("run_backup_bench: %s failed (%d): %s%s" % (" ".join(argv), out.returncode, out.stdout, out.stderr))
    return out.stdout


def timed(argv):
    # What an earlier step left dirty in the page cache (the image made, a convert's output) is
    # written out first, not during this step.
    os.sync()
    start = time.perf_counter()
    out = check(argv)
    return time.perf_counter() - start, out


def make_image(workdir):
    """1 GiB of incompressible data in a qcow2 image (every cluster allocated)."""
    raw = os.path.join(workdir, "data.raw")
    with open(raw, "wb") as f:
        for _ in range(SIZE >> 24):
            f.write(os.urandom(1 << 24))
    image = os.path.join(workdir, "data.qcow2")
    check(["qemu-img", "convert", "-O", "qcow2", raw, image])
    os.unlink(raw)
    return image


class Vm:
    def __init__(self, vmforge, workdir, image):
        self.vmforge = vmforge
        self.runtime = os.path.join(workdir, "run")
        manifest = os.path.join(workdir, "vm.toml")
        with open(manifest, "w") as f:
            f.write('name = "%s"\n[machine]\ntype = "q35"\naccel = ["tcg"]\n[memory]\nsize = "128M"\n'
                    '[supervisor]\nshutdown_timeout = "1s"\n[[disk]]\nid = "data"\nfile = "%s"\nformat = "qcow2"\n'
                    'share_rw = true\n' % (NAME, image))
        self.log = open(os.path.join(workdir, "run.log"), "a")
        self.proc = subprocess.Popen([vmforge, "run", manifest, "--runtime-dir", self.runtime],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit("run_backup_bench: vmforge run exited with %d (see %s)" % (self.proc.returncode, self.log.name))
            out = self.qmp({"execute": "query-status"}, check_status=False)
            if out and out.get("running"):
                return
            time.sleep(0.05)
        sys.exit("run_backup_bench: the VM did not start")

    def qmp(self, command, check_status=True):
        out = subprocess.run([self.vmforge, "qmp", NAME, json.dumps(command), "--runtime-dir", self.runtime],
                             capture_output=True, text=True)
        if out.returncode != 0:
            if check_status:
                sys.exit("run_backup_bench: qmp %s failed: %s" % (command, out.stderr))
            return None
        return json.loads(out.stdout)

    def backup(self, dest, incremental=False):
        argv = [self.vmforge, "backup", NAME, "--to", dest, "--runtime-dir", self.runtime]
        if incremental:
            argv.append("--incremental")
        seconds, out = timed(argv)
        line = [l for l in out.splitlines() if l.startswith("  data: ")][0]
        return seconds, int(line.rsplit("(", 1)[1].split()[0])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vmforge", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="vmf-backup-bench-", dir="/var/tmp")
    try:
        image = make_image(workdir)
        vm = Vm(os.path.abspath(args.vmforge), workdir, image)
        backups, converts, flushed, full_sizes = [], [], [], []
        try:
            for r in range(args.rounds):
                dest = os.path.join(workdir, "b%d" % r)
                os.mkdir(dest)
                seconds, size = vm.backup(dest)
                backups.append(seconds)
                full_sizes.append(size)
                out = os.path.join(workdir, "convert.qcow2")
                seconds, _ = timed(["qemu-img", "convert", "-U", "-O", "qcow2", image, out])
                converts.append(seconds)
                os.unlink(out)
                seconds, _ = timed(["qemu-img", "convert", "-U", "-t", "writeback", "-O", "qcow2", image, out])
                flushed.append(seconds)
                os.unlink(out)
                if r + 1 < args.rounds:
                    shutil.rmtree(dest)
            # 1% of the disk changed, then an incremental backup onto the last full one.
            wrote = vm.qmp({"execute": "human-monitor-command",
                            "arguments": {"command-line": 'qemu-io data.fmt "write -P 0x33 0 10M"'}})
            if wrote.strip() and "wrote" not in wrote:  # qemu-io reports success on QEMU's stdout, errors here
                sys.exit("run_backup_bench: qemu-io did not write: %s" % wrote)
            incr_seconds, incr_size = vm.backup(dest, incremental=True)
        finally:
            vm.stop()
        full = statistics.median(backups)
        convert = statistics.median(converts)
        convert_flushed = statistics.median(flushed)
        full_size = statistics.median(full_sizes)
        print("load average (1, 5, 15 min) at the end: %.1f %.1f %.1f" % os.getloadavg())
        print("full backup of 1 GiB:    %.2f s (%.0f MiB/s), runs %s" % (full, 1024 / full, ", ".join("%.2f" % s for s in backups)))
        print("qemu-img convert:        %.2f s (%.0f MiB/s), runs %s" % (convert, 1024 / convert, ", ".join("%.2f" % s for s in converts)))
        print("qemu-img convert -t writeback: %.2f s (%.0f MiB/s), runs %s"
              % (convert_flushed, 1024 / convert_flushed, ", ".join("%.2f" % s for s in flushed)))
        print("throughput ratio backup/convert: %.2fx, backup/flushed convert: %.2fx (target >= 0.9x)"
              % (convert / full, convert_flushed / full))
        print("incremental (1%% changed): %.2f s, %.1f MiB; full: %.2f s, %.1f MiB -> %.3fx time, %.4fx size"
              % (incr_seconds, incr_size / 2**20, full, full_size / 2**20, incr_seconds / full, incr_size / full_size))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
