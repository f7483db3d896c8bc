#!/bin/sh
# The installed library is self-sufficient: `meson install` into a temp dir, then embed.cpp is
# built with only `pkg-config --cflags --libs vmforge` from there and run. Fails if a header
# the umbrella headers need is not installed, or if the build picked one up from anywhere else
# (the source tree, a real install under /usr/local). Usage: install_test.sh BUILD_DIR.
set -eu

build=$1
src=$VMFORGE_SOURCE_DIR
tmp=$(mktemp -d /tmp/vmforge-lib.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

meson install -C "$build" --destdir "$root" --no-rebuild --quiet
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

# Consumers build with their own warning flags: the installed headers must be clean under ours.
# shellcheck disable=SC2086 # $flags is a list of words
g++ -std=c++20 -Wall -Wextra -Wpedantic -Werror -MD -MF "$tmp/embed.d" \
  -o "$tmp/embed" "$src/tests/library/embed.cpp" $flags

# Every vmforge header the compiler read must come from the install.
deps=$(sed 's/\\$//' "$tmp/embed.d" | tr ' ' '\n')
stray=$(echo "$deps" | grep -E '/(vmforge|compiler|supervisor)/' \
  | grep -v "^$root/" | grep -v "^$src/tests/library/embed.cpp$" || true)
if [ -n "$stray" ]; then
  echo "FAILED: embed.cpp used headers from outside the installed tree:" >&2
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

"$tmp/embed" "$src/examples/demo.toml"
