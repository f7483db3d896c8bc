#!/usr/bin/env python3
"""Where `vmforge run` -> READY=1 spends the time raw QEMU does not, phase by phase.

A tool to run by hand (root, and perf from Debian's linux-perf): the two arms of
run_supervisor_bench.py, raw QEMU until RESUME and `vmforge run` until READY=1, alternate under
`perf record` with scheduler and socket tracepoints only (no per-syscall tracing, which would
slow the arms unequally). Each round is cut into phases at the events both arms share:

  spawned      the timer's spawn -> the first program's exec (vmforge, or QEMU itself)
  to spawn     vmforge's exec -> its clone of QEMU's child (loading, compile, lock, set-up)
  child        that clone -> QEMU's exec (credentials, bounding set, the PATH walk)
  to greeting  QEMU's exec -> its QMP greeting
  to reply     the greeting -> the reply to qmp_capabilities (QEMU finishes its own start)
  to RESUME    that reply -> the RESUME event (`cont`)
  to end       RESUME -> the timer has READY=1 (vmforge) or the event itself (raw)

Medians over the rounds; the last column is what vmforge adds."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_supervisor_bench import MANIFEST, qemu_argv  # noqa: E402

EVENTS = ["sched:sched_process_exec", "sched:sched_process_fork", "syscalls:sys_enter_sendmsg",
          "syscalls:sys_enter_write", "syscalls:sys_enter_recvfrom"]
PHASES = ["spawned", "to spawn", "child", "to greeting", "to reply", "to RESUME", "to end"]
LINE = re.compile(r"\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)")
QUIT_WRITE = "count: 0x00000013"  # start_timer's {"execute":"quit"} once the raw arm is timed


def record(args, workdir, manifest, argv):
    loop = []
    for _ in range(args.rounds):
        loop.append(subprocess.list2cmdline([args.start_timer, "raw-running", workdir] + argv))
        loop.append(subprocess.list2cmdline([args.start_timer, "run", workdir, args.vmforge, manifest]))
    data = os.path.join(workdir, "perf.data")
    command = ["perf", "record", "-q", "-a", "-o", data]
    for event in EVENTS:
        command += ["-e", event]
    subprocess.run(command + ["--", "sh", "-c", "{ %s; } >/dev/null" % " && ".join(loop)], check=True)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,time,event,trace"], check=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return script.stdout.splitlines()


def rounds_of(lines):
    """The events of each start_timer run, split at its exec; times in ms."""
    rounds = []
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, tid, time, event, rest = m.groups()
        e = (comm, int(pid), int(tid), float(time) * 1000, event.split(":")[1], rest)
        if e[4] == "sched_process_exec" and "start_timer" in rest:
            rounds.append([e])
        elif rounds:
            rounds[-1].append(e)
    return rounds


def marks_of(events):
    """The phase boundaries of one round: the arm, and the time of each boundary from its start."""
    start, timer = events[0][3], events[0][1]
    marks, qemu, vmforge, qemu_main, receives = {}, None, None, [], 0
    for _comm, pid, tid, time, event, rest in events:
        t = time - start
        if event == "sched_process_exec" and "qemu-system" in rest:
            qemu = pid
            marks["qemu exec"] = t
            marks.setdefault("first exec", t)
        elif event == "sched_process_exec" and pid != timer:  # vmforge, whatever its file's name
            vmforge = pid
            marks["first exec"] = t
        elif event == "sched_process_fork" and pid == vmforge and "clone" not in marks:
            marks["clone"] = t
        elif event == "sys_enter_sendmsg" and pid == qemu:
            if tid != pid:
                marks.setdefault("greeting", t)  # the monitor's I/O thread
            else:
                qemu_main.append(t)  # the main loop: the reply, then RESUME
        elif event == "sys_enter_write" and pid == timer and QUIT_WRITE in rest:
            marks.setdefault("end", t)
        elif event == "sys_enter_recvfrom" and pid == timer:
            receives += 1
            if receives == 2:  # STATUS=Started QEMU, then READY=1
                marks["end"] = t
    if len(qemu_main) >= 2:
        marks["reply"], marks["RESUME"] = qemu_main[0], qemu_main[1]
    if vmforge is None:
        marks["clone"] = marks.get("first exec")
    return ("run" if vmforge else "raw"), marks


def phases_of(marks):
    order = ["start", "first exec", "clone", "qemu exec", "greeting", "reply", "RESUME", "end"]
    marks = dict(marks, start=0.0)
    if any(name not in marks for name in order):
        return None
    return {phase: marks[b] - marks[a] for phase, a, b in zip(PHASES, order, order[1:])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vmforge", required=True)
    parser.add_argument("--start-timer", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    args.vmforge, args.start_timer = os.path.abspath(args.vmforge), os.path.abspath(args.start_timer)
    workdir = tempfile.mkdtemp(prefix="vmf-phases-", dir="/tmp")
    manifest = os.path.join(workdir, "bench.toml")
    with open(manifest, "w") as f:
        f.write(MANIFEST.format(name="bench"))
    arms = {"raw": [], "run": []}
    for events in rounds_of(record(args, workdir, manifest, qemu_argv(args.vmforge, manifest))):
        arm, marks = marks_of(events)
        phases = phases_of(marks)
        if phases:
            arms[arm].append(phases)
    subprocess.run(["rm", "-rf", workdir])
    print("run -> READY=1 by phase (medians, ms; %d raw and %d vmforge rounds)" % (len(arms["raw"]), len(arms["run"])))
    print("%-12s %9s %9s %9s" % ("phase", "raw QEMU", "vmforge", "added"))
    totals = {"raw": 0.0, "run": 0.0}
    for phase in PHASES:
        medians = {arm: statistics.median(p[phase] for p in rounds) for arm, rounds in arms.items()}
        for arm in totals:
            totals[arm] += medians[arm]
        print("%-12s %9.3f %9.3f %+9.3f" % (phase, medians["raw"], medians["run"], medians["run"] - medians["raw"]))
    print("%-12s %9.3f %9.3f %+9.3f" % ("sum", totals["raw"], totals["run"], totals["run"] - totals["raw"]))


if __name__ == "__main__":
    main()
