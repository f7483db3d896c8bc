#!/bin/sh
# `vmforge console` (README "Console") with the test guest under `vmforge run`, its first serial
# port on the backend 'console'. What the guest printed before anyone attached is shown on
# attach and is in console.log (0600); Ctrl-] through a pipe detaches, and attaching again shows
# it again; a second console takes over from a first; on a pseudo-terminal, a lone Ctrl-]
# detaches (so the terminal was raw: a cooked one would hold it until a newline) and the
# terminal's settings afterwards are those from before; what the guest prints while nobody is
# attached (its power-off) reaches console.log.
set -eu

tmp=$(mktemp -d /tmp/vmforge-console.XXXXXX)
supervisor=
trap '[ -z "$supervisor" ] || kill "$supervisor" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() {
  echo "FAILED: $*" >&2
  echo "--- supervisor log:" >&2
  cat "$tmp/run.log" >&2
  exit 1
}
vmforge=$VMFORGE_BINARY
rt=$tmp/rt
mkdir -m 0700 "$rt"
log=$rt/con/console.log

cat > "$tmp/con.toml" <<TOML
name = "con"
[machine]
type = "q35"
accel = ["tcg"]
[memory]
size = "256M"
[kernel]
path = "$VMFORGE_GUEST_DIR/vmlinuz"
initrd = "$VMFORGE_GUEST_DIR/initrd.img"
cmdline = "console=ttyS0 quiet panic=-1 memhp_default_state=online"
[[serial]]
id = "ser0"
backend = "console"
TOML

"$vmforge" run "$tmp/con.toml" --runtime-dir "$rt" 2> "$tmp/run.log" &
supervisor=$!
for _ in $(seq 1200); do
  grep -q 'vmforge-guest: ready' "$log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'vmforge-guest: ready' "$log" 2>/dev/null || fail "the guest's 'ready' is not in '$log'"
[ "$(stat -c %a "$log")" = 600 ] || fail "'$log' has mode $(stat -c %a "$log"), not 600"
echo "ok: the boot output is in console.log (0600) before anyone attached"

# attach N: a console on a pipe that detaches with Ctrl-] after a second.
attach() {
  status=0
  { sleep 1; printf '\035'; } | "$vmforge" console con --runtime-dir "$rt" > "$tmp/out$1" 2> "$tmp/err$1" || status=$?
  [ "$status" -eq 0 ] || fail "console $1 exited $status: $(cat "$tmp/err$1")"
  grep -q 'vmforge-guest: ready' "$tmp/out$1" || fail "console $1 did not show the boot output: $(cat "$tmp/out$1")"
  grep -q "Detached from the console of VM 'con'" "$tmp/err$1" || fail "console $1 did not say it detached: $(cat "$tmp/err$1")"
  echo "ok: console $1 showed the output printed before it attached, and detached with Ctrl-]"
}
attach 1
attach 2

# A second console takes over: the first is told and ends (its input is still open).
{ sleep 30; } | "$vmforge" console con --runtime-dir "$rt" > "$tmp/first" 2> "$tmp/first.err" &
first=$!
sleep 1
attach 3
for _ in $(seq 100); do
  kill -0 "$first" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$first" 2>/dev/null; then
  kill "$first"
  fail "the first console did not end when another attached"
fi
grep -q "another 'vmforge console' attached" "$tmp/first" || fail "the first console was not told: $(cat "$tmp/first")"
echo "ok: a second console took over from the first"

# On a terminal: raw while attached, restored after.
python3 - "$vmforge" "$rt" > "$tmp/pty" <<'PY' || fail "pty session: $(cat "$tmp/pty")"
import os, pty, re, select, sys, time
vmforge, rt = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", 'stty -g; "$0" console con --runtime-dir "$1"; echo "exit=$?"; stty -g', vmforge, rt])
out, sent, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and b"Escape character" in out and b"vmforge-guest: ready" in out:
        time.sleep(0.5)
        os.write(fd, b"\x1d")  # no newline: only a raw terminal passes it on at once
        sent = True
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
lines = [l.strip() for l in out.decode(errors="replace").splitlines()]
settings = [l for l in lines if re.fullmatch(r"[0-9a-f]+(:[0-9a-f]+){20,}", l)]  # stty -g
sys.exit(0 if sent and "exit=0" in lines and len(settings) == 2 and settings[0] == settings[1] else 1)
PY
echo "ok: on a terminal, Ctrl-] alone detached and the terminal's settings were restored"

status=0
"$vmforge" console nosuch --runtime-dir "$rt" 2> "$tmp/nosuch" || status=$?
[ "$status" -eq 1 ] && grep -q "VM 'nosuch' is not running" "$tmp/nosuch" || fail "console of a VM that does not run: $status $(cat "$tmp/nosuch")"

"$vmforge" stop con --runtime-dir "$rt" > /dev/null 2>&1 || fail "vmforge stop"
status=0
wait "$supervisor" || status=$?
supervisor=
[ "$status" -eq 0 ] || fail "the supervisor exited $status"
grep -q 'vmforge-guest: poweroff' "$log" || fail "the power-off is not in console.log"
echo "ok: what the guest printed while nobody was attached (its power-off) is in console.log"
