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
# What debootstrap itself installs: it orders and configures only a simple set well.
packages=(
  systemd systemd-sysv dbus udev kmod procps iproute2 openssh-server ca-certificates curl
  containerd runc kubernetes-client linux-image-amd64 initramfs-tools e2fsprogs
  # jq: the kubelet test double reads the JSON the agent wrote (the doubles are shell).
  jq
  # mdadm, xfsprogs, nvme-cli: local storage (instance-store RAID) as on the AMI.
  mdadm
  xfsprogs
  nvme-cli
)
# Installed afterwards with apt inside the tree, which resolves and configures dependencies
# (cloud-init's Python stack above all) in an order debootstrap's --include does not.
# Every package the image and the bake rely on is in one of the two lists; the bake itself
# installs nothing from apt.
extra_packages=(
  # cloud-init: runs user-data shell parts between the agent's two units, as on AL2023
  # (configured below: EC2 datasource only, no network, ssh or package changes).
  cloud-init
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
  {
    tail -n 30 "$work/debootstrap.log" >&2
    # dpkg's own words are in the tree's log, not in debootstrap's summary
    if [[ -f "$root/debootstrap/debootstrap.log" ]]; then grep -n -i -B2 -A8 'error\|failed' "$root/debootstrap/debootstrap.log" | tail -n 40 >&2 || true; fi
    fail "debootstrap failed or exceeded 60 minutes (log above)"
  }

step "apt-get install ${extra_packages[*]}"
mount -t proc proc "$root/proc"
# apt in the tree resolves the mirror's name with the host's resolver, for this step only.
if [[ -e "$root/etc/resolv.conf" || -L "$root/etc/resolv.conf" ]]; then mv "$root/etc/resolv.conf" "$work/resolv.conf.tree"; fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No service starts inside the tree: there is no init running there.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
{
  timeout 1800 chroot "$root" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$root" apt-get install -y -qq --no-install-recommends "${extra_packages[@]}"
} >"$work/apt.log" 2>&1 || { tail -n 40 "$work/apt.log" >&2; fail "apt-get install in the tree failed (log above)"; }
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
if [[ -e "$work/resolv.conf.tree" || -L "$work/resolv.conf.tree" ]]; then mv "$work/resolv.conf.tree" "$root/etc/resolv.conf"; fi
chroot "$root" apt-get clean
umount "$root/proc"

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
# Test-only seam for instance-store detection. QEMU 7.2's nvme device cannot set a model (it
# reports "QEMU NVMe Ctrl"), so this rule gives disks whose serial starts with the test prefix
# the by-id link an EC2 instance-store disk gets from udev's own rules. It lives only in this
# Debian test base, never in the Packer provisioning, so no AWS image carries it; and the
# prefix cannot be an EBS serial, which is always "vol" followed by the volume id.
mkdir -p "$root/etc/udev/rules.d"
cat >"$root/etc/udev/rules.d/99-eks-node-test-instance-store.rules" <<'EOF'
ACTION!="remove", SUBSYSTEM=="block", KERNEL=="nvme*n*", ENV{DEVTYPE}=="disk", ATTRS{serial}=="ekstestis*", SYMLINK+="disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_$attr{serial}"
EOF
# Debian's mdadm would mail root and scan arrays monthly; the node has no mail and no schedule.
for unit in mdmonitor.service mdmonitor-oneshot.timer mdcheck_start.timer mdcheck_continue.timer; do
  chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
done
# cloud-init reads the user data from the IMDS emulator (169.254.169.254 through the QEMU
# forward) and runs its shell parts; nothing else. The VM is not EC2 hardware, so ds-identify
# is told to enable cloud-init and the EC2 datasource not to insist on EC2's DMI strings. The
# module lists leave the network (systemd-networkd's), the host keys and root's authorized
# keys (the test's SSH login), the hostname and the packages alone.
# 99-: after the package's 90_dpkg.cfg, whose datasource_list it replaces; a single entry there
# also makes ds-identify skip its detection.
mkdir -p "$root/etc/cloud/cloud.cfg.d"
cat >"$root/etc/cloud/ds-identify.cfg" <<'EOF'
policy: enabled
EOF
cat >"$root/etc/cloud/cloud.cfg.d/99-eks-node-system-test.cfg" <<'EOF'
datasource_list: [Ec2]
datasource:
  Ec2:
    strict_id: false
    metadata_urls: ["http://169.254.169.254"]
    timeout: 10
    max_wait: 300
network:
  config: disabled
disable_root: false
ssh_deletekeys: false
ssh_genkeytypes: []
preserve_hostname: true
manage_etc_hosts: false
package_update: false
package_upgrade: false
cloud_init_modules: []
cloud_config_modules: []
cloud_final_modules: [scripts_per_once, scripts_per_boot, scripts_per_instance, scripts_user]
EOF
# TEST DOUBLE of /opt/aws/bin/cfn-signal (aws-cfn-bootstrap): records its arguments, one call
# per line, where the CloudFormation cases read them; it signals nothing.
mkdir -p "$root/opt/aws/bin"
cat >"$root/opt/aws/bin/cfn-signal" <<'EOF'
#!/bin/sh
# TEST DOUBLE of cfn-signal: appends its arguments to /var/log/cfn-signal-double.log.
echo "$*" >>/var/log/cfn-signal-double.log
EOF
chmod 0755 "$root/opt/aws/bin/cfn-signal"
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
