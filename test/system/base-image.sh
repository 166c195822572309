#!/usr/bin/env bash
# Builds the Debian bookworm base disk the system test bakes with our Packer template:
# what a minimal cloud image gives (systemd, sshd, a kernel) plus containerd, runc, curl
# and kubectl. The kernel and initrd are extracted for QEMU's direct kernel boot, so the
# disk needs no partition table and no boot loader.
#
# Usage: base-image.sh OUT_DIR
# Writes OUT_DIR/{disk.qcow2,vmlinuz,initrd.img,packages.txt}. OUT_DIR must not exist; the
# caller (test/system/base-image.ts) keys it by this script's hash and builds it once.
# Needs root (debootstrap chroots), but no loop mounts: the filesystem is made from the
# directory tree with `mkfs.ext4 -d`.
set -o errexit -o nounset -o pipefail

out="${1:?usage: base-image.sh OUT_DIR}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
DISK_SIZE=4G
# Every package the image and the bake rely on; the bake itself installs nothing from apt.
packages=(
  systemd systemd-sysv dbus udev kmod procps iproute2 openssh-server ca-certificates curl
  containerd runc kubernetes-client linux-image-amd64 initramfs-tools e2fsprogs
  # jq: the kubelet test double reads the JSON the agent wrote (the doubles are shell).
  jq
  # Debian equivalents of the node packages (install-packages.sh): the kubelet unit's
  # iptables, the time service, kube-proxy's and the CNI's tools.
  iptables chrony conntrack socat pigz ipvsadm
)

fail() {
  echo "base-image: $*" >&2
  exit 1
}

[[ "$(id -u)" -eq 0 ]] || fail "must run as root (debootstrap needs to chroot)"
[[ ! -e "$out" ]] || fail "$out already exists"
for tool in debootstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

work="$(mktemp -d "${out%/*}/.base-image.XXXXXX")"
cleanup() {
  # A failed debootstrap can leave its /proc and /sys mounted inside the tree.
  for m in proc sys dev/pts dev; do
    if mountpoint -q "$work/root/$m" 2>/dev/null; then umount -l "$work/root/$m" || true; fi
  done
  rm -rf -- "$work"
}
trap cleanup EXIT
root="$work/root"

step_started=$SECONDS
step() { echo "base-image: [$((SECONDS - step_started))s] $*"; }

step "debootstrap $SUITE from $MIRROR"
# minbase: no recommends, no standard-priority extras; everything needed is listed.
timeout 3600 debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
  "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed or exceeded 60 minutes (log above)"; }

step "configure"
cat >"$root/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
EOF
echo node >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 node\n' >"$root/etc/hosts"
# QEMU user networking hands out an address by DHCP on the one NIC (eth0: net.ifnames=0).
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/10-eth0.network" <<'EOF'
[Match]
Name=eth0

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
# Stands in for amazon-ec2-net-utils' catch-all on Amazon Linux (DHCP on every ENI): the
# image's networkd settings must keep it off interfaces attached after the run phase.
cat >"$root/etc/systemd/network/80-ec2-stand-in.network" <<'EOF'
[Match]
Name=eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no

[DHCPv4]
RouteMetric=2048
EOF
chroot "$root" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service >/dev/null 2>&1
# Nothing may reach for the network or the disk on its own during a test boot.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  chroot "$root" systemctl disable "$unit" >/dev/null 2>&1 || true
  chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
done
# A persistent journal, so a reboot case can read the previous boot (journalctl -b -1).
mkdir -p "$root/var/log/journal"
# Logins are by key only: root's key arrives per boot as the systemd credential
# ssh.authorized_keys.root (kernel command line), which tmpfiles' provision.conf installs.
passwd_line="$(grep '^root:' "$root/etc/shadow")"
[[ "$passwd_line" == root:\*:* || "$passwd_line" == root:!* ]] || fail "root has a password in the debootstrap tree"
: >"$root/etc/machine-id"
# shellcheck disable=SC2016 # dpkg-query expands these, not the shell
chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' | LC_ALL=C sort >"$work/packages.txt"
chroot "$root" apt-get clean

step "extract kernel and initrd"
kernel="$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | LC_ALL=C sort | tail -n 1)"
initrd="$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | LC_ALL=C sort | tail -n 1)"
[[ -n "$kernel" && -n "$initrd" ]] || fail "no vmlinuz-*/initrd.img-* under /boot after installing linux-image-amd64"
mkdir -p "$work/out"
cp -- "$kernel" "$work/out/vmlinuz"
cp -- "$initrd" "$work/out/initrd.img"
mv -- "$work/packages.txt" "$work/out/packages.txt"

step "make the ext4 filesystem from the tree and convert to qcow2"
truncate -s "$DISK_SIZE" "$work/disk.raw"
mkfs.ext4 -q -F -L root -d "$root" "$work/disk.raw"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/out/disk.qcow2"
rm -f -- "$work/disk.raw"

mv -- "$work/out" "$out"
step "done: $out ($(du -sh "$out/disk.qcow2" | cut -f 1) disk, kernel $(basename "$kernel"))"
