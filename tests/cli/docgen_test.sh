#!/bin/sh
# The generated man pages and completions (cli/docgen), as `meson install` installs them:
# each page renders with `man -l` without a warning at 80 columns and says what its sources
# say; bash completes a command, an option, a VM name (from the runtime root) and a manifest
# (*.toml, not other files); zsh's functions offer the same, driven through stubs of its
# completion helpers (a real zle needs a terminal). Usage: docgen_test.sh DOCS_DIR.
set -eu
docs=$1
tmp=$(mktemp -d /tmp/vmforge-docgen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

for page in vmforge.1 vmforge.toml.5 vmforge@.service.8; do
  MANWIDTH=80 man --warnings -l "$docs/$page" > "$tmp/$page.txt" 2> "$tmp/$page.err" || fail "man -l $page"
  [ ! -s "$tmp/$page.err" ] || fail "man -l $page warns: $(cat "$tmp/$page.err")"
  echo "ok: $page renders without warnings ($(wc -l < "$tmp/$page.txt") lines)"
done
# One thing from each source: a command and its option, a key with its range and default, the unit.
grep -q -- '--no-wait' "$tmp/vmforge.1.txt" || fail "vmforge(1) lacks stop's --no-wait"
grep -q 'vmforge console NAME' "$tmp/vmforge.1.txt" || fail "vmforge(1) lacks the console command"
tr -s ' \n' ' ' < "$tmp/vmforge.toml.5.txt" | grep -q 'shutdown_timeout (duration) .* Default: 30s' ||
  fail "vmforge.toml(5) lacks [supervisor] shutdown_timeout with its default"
tr -s ' \n' ' ' < "$tmp/vmforge.toml.5.txt" | grep -q 'One of: file, socket, pty, pipe, tty, null, console' ||
  fail "vmforge.toml(5) lacks [[serial]] backend's values"
grep -q 'Type=notify' "$tmp/vmforge@.service.8.txt" || fail "vmforge@.service(8) lacks the unit"
echo "ok: the pages carry the command table, the key table and the unit"

mkdir -p "$tmp/rt/web" "$tmp/rt/db" "$tmp/files/sub"
touch "$tmp/files/web.toml" "$tmp/files/notes.txt"
cat > "$tmp/bash.sh" <<'BASH'
set -eu
source "$1"
compopt() { :; }  # a builtin that works only inside a real completion
complete -p vmforge | grep -q -- '-F _vmforge' || { echo "no completion registered for vmforge"; exit 1; }
# complete_line WORD...: COMPREPLY for the last word, as bash would set it.
complete_line() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _vmforge
  echo "${COMPREPLY[*]}"
}
check() {
  [ "$1" = "$2" ] || { echo "'${*:3}' completed to '$1', expected '$2'"; exit 1; }
}
check "$(complete_line vmforge con)" "console" vmforge con
check "$(complete_line vmforge stop --no)" "--no-wait" vmforge stop --no
check "$(complete_line vmforge status --runtime-dir "$2/rt" w)" "web" vmforge status --runtime-dir rt w
check "$(VMFORGE_RUNTIME_DIR=$2/rt complete_line vmforge console '')" "db web" vmforge console
cd "$2/files"
check "$(complete_line vmforge check '')" "web.toml sub" vmforge check
check "$(complete_line vmforge help st)" "status stop" vmforge help st
check "$(complete_line vmforge compile x.toml --format s)" "shell" vmforge compile x.toml --format s
BASH
bash --norc --noprofile "$tmp/bash.sh" "$docs/vmforge" "$tmp" || fail "bash completion"
echo "ok: bash completes a command, an option, a VM name and a manifest"

if ! command -v zsh > /dev/null; then
  echo "zsh is not installed: its completion was not checked"
  exit 0
fi
cat > "$tmp/zsh.zsh" <<'ZSH'
# Stubs print what the completion offers.
_describe() { print -r -- "describe ${(j: :)${(P)${@[-1]}}}" }
_arguments() { print -r -- "arguments ${(j:|:)@}" }
# The file ends by calling _vmforge, as an autoloaded #compdef file does: give it a line.
words=(vmforge '') CURRENT=2
source $1 > /dev/null
words=(vmforge con) CURRENT=2
out=$(_vmforge)
[[ $out == *'console:Attach to a running VM'*'(Ctrl-] detaches)'* ]] || { print "commands: $out"; exit 1 }
words=(vmforge status '') CURRENT=3
out=$(_vmforge)
[[ $out == *':VM:_vmforge_vms'* && $out == *'--json['* ]] || { print "status: $out"; exit 1 }
words=(vmforge check '') CURRENT=3
out=$(_vmforge)
[[ $out == *':manifest:_files -g "*.toml"'* ]] || { print "check: $out"; exit 1 }
out=$(VMFORGE_RUNTIME_DIR=$2/rt _vmforge_vms)
[[ $out == 'describe db web' ]] || { print "VM names: $out"; exit 1 }
ZSH
zsh -f "$tmp/zsh.zsh" "$docs/_vmforge" "$tmp" > "$tmp/zsh.out" 2>&1 || fail "zsh completion: $(cat "$tmp/zsh.out")"
echo "ok: zsh offers the commands, a command's options, VM names and manifests"
