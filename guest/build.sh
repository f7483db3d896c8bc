#!/bin/sh
# Builds the vmforge test guest into OUTDIR: vmlinuz (Debian's cloud kernel, fetched with
# `apt-get download`, unpacked, not installed) and initrd.img (busybox-static, the modules in
# guest/modules with their dependencies, /init and the reporter). Does nothing when OUTDIR is
# already up to date with these sources, the kernel package apt would pick and busybox.
set -eu

usage() { echo "usage: guest/build.sh OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
meta=linux-image-cloud-amd64

say() { echo "guest/build.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# The kernel package the meta package depends on (e.g. linux-image-6.1.0-56-cloud-amd64).
kernel_package() {
  apt-cache depends "$meta" 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1
}

kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
  say "apt does not know '$meta'; running apt-get update"
  apt-get update -qq || die "apt-get update failed; run it as root, then retry"
  kpkg=$(kernel_package)
  [ -n "$kpkg" ] || die "cannot resolve the kernel package of '$meta'"
fi
kver=$(apt-cache show --no-all-versions "$kpkg" | sed -n 's/^Version: //p' | head -n 1)
busybox=$(dpkg -L busybox-static 2>/dev/null | grep '/bin/busybox$' | head -n 1 || true)
[ -n "$busybox" ] && [ -x "$busybox" ] ||
  die "busybox-static is not installed; run scripts/install-deps.sh as root"

stamp=$( (echo "$kpkg $kver"; dpkg-query -W -f '${Version}\n' busybox-static; gcc -dumpfullversion
  cat "$src/build.sh" "$src/init" "$src/modules" "$src/vmforge-guest.c") | sha256sum | cut -d' ' -f1)
if [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ] &&
   [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

# Fetch the kernel package once per version (kept in OUTDIR/cache).
cache="$out/cache"
mkdir -p "$cache"
deb=$(ls "$cache/${kpkg}_"*.deb 2>/dev/null | grep -F "_$(echo "$kver" | sed 's/:/%3a/')_" | head -n 1 || true)
if [ -z "$deb" ]; then
  rm -f "$cache"/*.deb
  say "downloading $kpkg $kver"
  if ! (cd "$cache" && apt-get download -qq "$kpkg=$kver" 2>/dev/null); then
    say "apt-get download failed; running apt-get update and retrying"
    apt-get update -qq || die "apt-get update failed; run it as root, then retry"
    (cd "$cache" && apt-get download -qq "$kpkg=$kver") || die "cannot download '$kpkg'"
  fi
  deb=$(ls "$cache/${kpkg}_"*.deb | head -n 1)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vmforge-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/pkg"
kernel=$(ls "$work/pkg/boot/vmlinuz-"* | head -n 1)
release=${kernel##*/vmlinuz-}
moddir=$(ls -d "$work/pkg/lib/modules/$release" "$work/pkg/usr/lib/modules/$release" 2>/dev/null |
  head -n 1)
[ -n "$moddir" ] || die "no modules for $release in $deb"

root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/lib/modules" "$root/proc" "$root/sys" \
  "$root/dev" "$root/run" "$root/tmp"

# Modules: each listed module after its dependencies (the `depends=` of its .modinfo). Names
# are compared with '-' read as '_', as the kernel does.
index() { awk -F/ '{ n = $NF; sub(/\.ko.*$/, "", n); gsub(/-/, "_", n); print n, $0 }'; }
find "$moddir/kernel" -name '*.ko*' | index > "$work/modules.index"
index < "$moddir/modules.builtin" > "$work/builtin.index"
: > "$work/added"
lookup() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }
add_module() {
  local name path deps dep
  name=$(echo "$1" | tr '-' '_')
  grep -qx "$name" "$work/added" && return 0
  [ -n "$(lookup "$name" "$work/builtin.index")" ] && return 0
  path=$(lookup "$name" "$work/modules.index")
  [ -n "$path" ] || die "module '$name' is not in $kpkg"
  case "$path" in
    *.ko.xz) xz -dc "$path" > "$work/$name.ko" ;;
    *.ko.zst) zstd -qdc "$path" > "$work/$name.ko" ;;
    *.ko.gz) gzip -dc "$path" > "$work/$name.ko" ;;
    *) cp "$path" "$work/$name.ko" ;;
  esac
  objcopy -O binary -j .modinfo "$work/$name.ko" "$work/$name.modinfo"
  deps=$(tr '\0' '\n' < "$work/$name.modinfo" | sed -n 's/^depends=//p' | tr ',' ' ')
  for dep in $deps; do
    add_module "$dep"
  done
  mv "$work/$name.ko" "$root/lib/modules/$name.ko"
  echo "$name" >> "$work/added"
  echo "$name" >> "$root/etc/modules"
}
: > "$root/etc/modules"
grep -v '^#' "$src/modules" | while read -r wanted; do
  [ -n "$wanted" ] && add_module "$wanted"
done

# Userland: busybox (with its applet links), /init and the reporter.
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$src/init" "$root/init"
gcc -static -Os -s -Wall -Wextra -Werror -o "$root/sbin/vmforge-guest" "$src/vmforge-guest.c"

# A reproducible archive: sorted names, fixed times and owners.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  gzip -n -6 > "$work/initrd.img"
cp "$kernel" "$work/vmlinuz"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initrd.img" "$out/initrd.img"
echo "$stamp" > "$out/stamp"
say "built $out (kernel $release)"
