#!/bin/sh
# The installed library is self-sufficient: `meson install` into a temp dir, then embed.cpp is
# built with only `pkg-config --cflags --libs vmforge` from there and run. Fails if a header
# the umbrella headers need is not installed, or if the build picked one up from anywhere else
# (the source tree, a real install under /usr/local). Usage: install_test.sh BUILD_DIR.
set -eu

build=$1
src=$VMFORGE_SOURCE_DIR
tmp=$(mktemp -d /tmp/vmforge-lib.XXXXXX)
supervisor=
# A supervisor left by a failed check is stopped (SIGTERM: it powers the VM down).
trap '[ -z "$supervisor" ] || kill "$supervisor" 2>/dev/null; rm -rf "$tmp"' EXIT
root=$tmp/root

meson install -C "$build" --destdir "$root" --no-rebuild --quiet
# The generated man pages and completions (cli/docgen) are installed where man and the shells look.
for doc in man/man1/vmforge.1 man/man5/vmforge.toml.5 man/man8/vmforge@.service.8 \
  bash-completion/completions/vmforge zsh/vendor-completions/_vmforge; do
  if [ -z "$(find "$root" -path "*/share/$doc")" ]; then
    echo "FAILED: meson install put no share/$doc under '$root'" >&2
    exit 1
  fi
done
pc=$(find "$root" -name vmforge.pc)
if [ -z "$pc" ]; then
  echo "FAILED: meson install put no vmforge.pc under '$root'" >&2
  exit 1
fi
# The installed vmforge.pc as is, moved under $root (PKG_CONFIG_SYSROOT_DIR would also move
# the -I/-L of fmt and simdjson, which live in the real /usr).
mkdir "$tmp/pkgconfig"
sed "s|^prefix=|prefix=$root|" "$pc" > "$tmp/pkgconfig/vmforge.pc"
export PKG_CONFIG_PATH="$tmp/pkgconfig"
flags=$(pkg-config --cflags --libs vmforge)
echo "pkg-config --cflags --libs vmforge: $flags"

# build_installed NAME SOURCE: $tmp/NAME from SOURCE with pkg-config's flags alone.
# Consumers build with their own warning flags: the installed headers must be clean under ours.
build_installed() {
  # shellcheck disable=SC2086 # $flags is a list of words
  g++ -std=c++20 -Wall -Wextra -Wpedantic -Werror -MD -MF "$tmp/$1.d" -o "$tmp/$1" "$2" $flags
  # Every vmforge header the compiler read must come from the install.
  deps=$(sed 's/\\$//' "$tmp/$1.d" | tr ' ' '\n')
  stray=$(echo "$deps" | grep -E '/(vmforge|compiler|supervisor)/' | grep -v "^$root/" | grep -v "^$2$" || true)
  if [ -n "$stray" ]; then
    echo "FAILED: $1 used headers from outside the installed tree:" >&2
    echo "$stray" >&2
    exit 1
  fi
  # vmforge.pc does not require libsystemd or libisofs (both are opened with dlopen), so no
  # installed header may include theirs, though this host has them.
  foreign=$(echo "$deps" | grep -E '/(systemd|libisofs)/' || true)
  if [ -n "$foreign" ]; then
    echo "FAILED: the installed headers include headers vmforge.pc does not require:" >&2
    echo "$foreign" >&2
    exit 1
  fi
}

build_installed embed "$src/tests/library/embed.cpp"
"$tmp/embed" "$src/examples/demo.toml"

# <vmforge/control.hpp> against a real supervisor: control.cpp (every request) and the README's
# Library example (the ```cpp block that starts with "// vm_status.cpp"), both built from the
# install alone, drive a VM (firmware idle, no guest: the power button goes unanswered, so
# a short shutdown_timeout) under `vmforge run`.
awk '/^```cpp$/ { block = ""; inside = 1; next }
     /^```$/ && inside { if (block ~ /^\/\/ vm_status\.cpp/) printf "%s", block; inside = 0; next }
     inside { block = block $0 "\n" }' "$src/README.md" > "$tmp/vm_status.cpp"
if [ ! -s "$tmp/vm_status.cpp" ]; then
  echo "FAILED: README.md has no \`\`\`cpp block starting with '// vm_status.cpp'" >&2
  exit 1
fi
build_installed control "$src/tests/library/control.cpp"
build_installed vm_status "$tmp/vm_status.cpp"

vm="name = \"lib\"
[machine]
type = \"q35\"
accel = [\"tcg\"]
hotplug_slots = 1
[memory]
size = \"128M\"
[supervisor]
shutdown_timeout = \"2s\""
printf '%s\n' "$vm" > "$tmp/lib.toml"
printf '%s\n[[net]]\nid = "n1"\nbackend = "user"\nhotplug = true\n' "$vm" > "$tmp/lib-nic.toml"
mkdir -m 0700 "$tmp/rt"
"$VMFORGE_BINARY" run "$tmp/lib.toml" --runtime-dir "$tmp/rt" 2> "$tmp/run.log" &
supervisor=$!
for _ in $(seq 300); do
  "$VMFORGE_BINARY" status lib --runtime-dir "$tmp/rt" > /dev/null 2>&1 && break
  sleep 0.1
done
if ! "$tmp/control" lib "$tmp/rt" "$tmp/lib-nic.toml"; then
  cat "$tmp/run.log" >&2
  exit 1
fi
VMFORGE_RUNTIME_DIR=$tmp/rt "$tmp/vm_status" lib > "$tmp/vm_status.out"
cat "$tmp/vm_status.out"
grep -q "^lib: running" "$tmp/vm_status.out" || { echo "FAILED: vm_status printed no 'lib: running'" >&2; exit 1; }
grep -q "^  .*power button" "$tmp/vm_status.out" || { echo "FAILED: vm_status showed no step of the stop" >&2; exit 1; }
status=0
wait "$supervisor" || status=$?
supervisor=
if [ "$status" -ne 0 ]; then
  echo "FAILED: the supervisor exited $status after vm_status stopped the VM" >&2
  cat "$tmp/run.log" >&2
  exit 1
fi
echo "ok: the README's vm_status example stopped the VM"
