# Real systemd for tests, never on the host: sourced by a test script (POSIX sh), it boots the
# host's systemd as PID 1 of private pid, mount, net, uts, ipc and cgroup namespaces on an
# overlay of / whose upper layer is a tmpfs, so nothing it writes reaches the host (the build
# and source trees are seen through the overlay, read-only in effect).
#
#   sandbox_boot NAME [SRC:DST]...  boot, binding each host directory SRC at DST inside
#                                   (read-write); returns once systemd says 'running'. The
#                                   host's cluster services (Corosync, Pacemaker) are masked
#                                   unless the caller sets sandbox_cluster=yes before
#   sandbox_run CMD...              run CMD inside (all its namespaces, its root)
#   sandbox_stop                    SIGKILL its PID 1 (the namespaces and mounts go with it)
#
# The caller's EXIT trap must call sandbox_stop (and `trap 'exit 1' INT TERM HUP`, so that a
# signal runs it). Should the test's shell die without it (SIGKILL), PID 1 dies too:
# PR_SET_PDEATHSIG (`setpriv`) kills `unshare`, whose `--kill-child` kills PID 1; the empty
# cgroup left behind is removed by the next sandbox_boot.
#
# What keeps the host unchanged:
# - units that would touch the host kernel or hardware (sysctl, modules, binfmt, the clock,
#   random seed, tmpfiles, API file systems) are masked in the overlay before boot, and so are
#   the cluster services the host may have enabled (a sandbox is no cluster node unless the
#   test makes it one); /proc/sys
#   and /sys are read-only; /dev is a tmpfs with a few device nodes; /tmp and /run are tmpfs;
# - its cgroup is a new child of the host's cgroup2 root, seen as the root inside (cgroup
#   namespace), removed by sandbox_stop.
#
# Only root can do this; sandbox_boot exits 77 (a skip for meson) otherwise.

sandbox_pid=
sandbox_cgroup=
sandbox_log=

# Runs as PID 1 of the new namespaces: builds the root, masks units, execs systemd.
# Arguments: NAME LOG CLUSTER(yes|no) SRC:DST...
# shellcheck disable=SC2016 # expanded by the sh that runs it
sandbox_pid1='
set -eu
name=$1
exec >>"$2" 2>&1 </dev/null
cluster=$3
shift 3
mount --make-rprivate /
mount -t tmpfs -o mode=0755 vmforge-sandbox /mnt
mkdir /mnt/upper /mnt/work /mnt/root
mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root
r=/mnt/root
mount -t proc proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount -o remount,bind,ro "$r/proc/sys"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
mount -t tmpfs -o mode=0755,nosuid dev "$r/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r n major minor <<EOF
$node
EOF
  mknod -m 0666 "$r/dev/$n" c "$major" "$minor"
done
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$r/tmp"
mount -t tmpfs -o mode=0755,nosuid,nodev run "$r/run"
for bind in "$@"; do
  mkdir -p "$r${bind#*:}"
  mount --rbind "${bind%%:*}" "$r${bind#*:}"
done
units=$r/etc/systemd/system
for unit in systemd-sysctl.service systemd-modules-load.service kmod-static-nodes.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
    systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
    systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer \
    systemd-timesyncd.service systemd-random-seed.service systemd-pstore.service \
    systemd-firstboot.service systemd-machine-id-commit.service systemd-repart.service \
    systemd-pcrphase.service systemd-pcrphase-sysinit.service systemd-sysusers.service \
    systemd-remount-fs.service systemd-fsck-root.service systemd-hwdb-update.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
    getty.target console-getty.service timers.target swap.target cryptsetup.target; do
  ln -sf /dev/null "$units/$unit"
done
if [ "$cluster" != yes ]; then
  for unit in corosync.service pacemaker.service pacemaker_remote.service logd.service; do
    ln -sf /dev/null "$units/$unit"
  done
fi
cd "$r"
mkdir -p .sandbox-old-root
pivot_root . .sandbox-old-root
umount -l /.sandbox-old-root
exec env -i container=vmforge-sandbox-$name PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /lib/systemd/systemd --system --unit=basic.target
'

sandbox_boot() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "systemd-sandbox: needs root (namespaces, mounts); skipping." >&2
    exit 77
  fi
  sandbox_name=$1
  shift
  cgroup_root=$(sandbox_cgroup_root)
  # Left by a test shell that was SIGKILLed: its PID is gone, its PID 1 died with it.
  for stale in "$cgroup_root"/vmforge-sandbox-* /tmp/vmforge-sandbox-*.log; do
    pid=${stale##*-}
    [ -e "$stale" ] && ! kill -0 "${pid%.log}" 2>/dev/null || continue
    if [ -d "$stale" ]; then
      find "$stale" -depth -type d -exec rmdir {} + 2>/dev/null || true
    else
      rm -f "$stale"
    fi
  done
  sandbox_cgroup=$cgroup_root/vmforge-sandbox-$sandbox_name-$$
  mkdir "$sandbox_cgroup"
  sandbox_log=/tmp/vmforge-sandbox-$sandbox_name-$$.log
  : >"$sandbox_log"
  # The subshell enters the cgroup, then becomes unshare, whose parent is this shell.
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$sandbox_cgroup" \
    setpriv --pdeathsig KILL \
    unshare --pid --mount --net --uts --ipc --cgroup --fork --kill-child=SIGKILL \
    sh -c "$sandbox_pid1" sh "$sandbox_name" "$sandbox_log" "${sandbox_cluster:-no}" "$@" 2>>"$sandbox_log" &
  unshare_pid=$!
  # PID 1 of the namespace is unshare's only child.
  for _ in $(seq 100); do
    sandbox_pid=$(tr -d " " <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null)
    [ -n "$sandbox_pid" ] && break
    sleep 0.05
  done
  if [ -z "$sandbox_pid" ]; then
    echo "systemd-sandbox: the namespace did not start." >&2
    cat "$sandbox_log" >&2
    exit 1
  fi
  # Until PID 1 listens, systemctl fails at once ("offline"); then --wait waits for the boot.
  for _ in $(seq 300); do
    state=$(timeout 60 nsenter -t "$sandbox_pid" -a systemctl is-system-running --wait 2>/dev/null) || true
    case $state in offline|'') sleep 0.2 ;; *) break ;; esac
  done
  if [ "$state" != running ]; then
    echo "systemd-sandbox: systemd did not reach 'running' (is-system-running: '$state')." >&2
    sandbox_run systemctl --no-pager --failed >&2 || true
    cat "$sandbox_log" >&2
    exit 1
  fi
}

# The host's cgroup2 mount (unified or hybrid layout).
sandbox_cgroup_root() {
  if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
    echo /sys/fs/cgroup/unified
  else
    echo /sys/fs/cgroup
  fi
}

sandbox_run() {
  nsenter -t "$sandbox_pid" -a "$@"
}

sandbox_stop() {
  if [ -n "$sandbox_pid" ]; then
    kill -KILL "$sandbox_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    sandbox_pid=
  fi
  if [ -n "$sandbox_cgroup" ] && [ -d "$sandbox_cgroup" ]; then
    # Children first; a cgroup empties a moment after its last process is reaped.
    for _ in $(seq 50); do
      find "$sandbox_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.1
    done
    sandbox_cgroup=
  fi
  [ -n "$sandbox_log" ] && rm -f "$sandbox_log"
  sandbox_log=
}
