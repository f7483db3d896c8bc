#!/bin/sh
# Installs what vmforge needs to build, test and run, from Debian's archive only. Idempotent.
set -eu
packages="meson ninja-build g++ pkg-config python3
  libtomlplusplus-dev libsimdjson-dev libsystemd-dev libfmt-dev catch2 libisofs-dev
  qemu-system-x86 qemu-utils
  busybox-static cpio kmod zstd xz-utils xorriso genisoimage gcc libc6-dev binutils
  systemd systemd-container golang-go golang-github-kata-containers-govmm-dev
  clang libclang-rt-14-dev
  hyperfine man-db groff-base zsh
  pacemaker corosync pacemaker-cli-utils resource-agents libxml2-utils"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# QEMU's user (supervisor/vmforge.sysusers.conf): vmforge run as root runs QEMU as it.
# systemd-sysusers works without systemd as PID 1.
add_qemu_user() {
  if [ "$(id -u)" -eq 0 ] && ! getent passwd vmforge-qemu >/dev/null; then
    systemd-sysusers "$(cd "$(dirname "$0")/.." && pwd)/supervisor/vmforge.sysusers.conf"
  fi
}
if [ -z "$missing" ]; then
  add_qemu_user
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "vmforge: missing Debian packages:$missing; run this script as root (or with sudo) to install them." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The cluster packages (tests/ocf: the two-node cluster test; the OCF agent's ocf-tester, with
# xmllint for its meta-data check; no pcs or crmsh: the test speaks to Pacemaker with its own
# tools, cibadmin, crm_attribute and crm_resource) enable corosync and pacemaker, and their
# postinst would start them on this host: only the test's sandboxes may run them (they mask
# them elsewhere, tests/support/systemd-sandbox.sh), so services stay down during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
add_qemu_user
