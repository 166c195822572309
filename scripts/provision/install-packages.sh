#!/usr/bin/env bash
# Installs the packages a node needs at run time (and curl for the next steps), enables
# the time and SSM services and locks the kernel and the ENI tooling so nodes of one AMI
# stay identical. The one place besides install-containerd.sh that knows about package
# managers: dnf on Amazon Linux 2023, apt on the Debian base of the local qemu build.
set -o errexit -o nounset -o pipefail

dnf_packages=(
  conntrack-tools ethtool iproute iptables-nft kmod procps-ng socat tar jq pigz
  # local NVMe instance storage (RAID, device names), EFS mounts, kube-proxy's IPVS mode
  mdadm nvme-cli xfsprogs nfs-utils ipvsadm
  # time from the Amazon Time Sync Service (configure-time-sync.sh points it there)
  chrony
  # a shell on a node that did not join (Session Manager), and CloudFormation signals
  amazon-ssm-agent aws-cfn-bootstrap
  # FastImagePull's parallel pulls (the agent starts it only for nodes that turn the gate on;
  # its units are the image's own, packer/rootfs); Debian has no package, so the local image
  # has none and the agent warns there that the gate is not taken
  soci-snapshotter
)
# The kernel and amazon-ec2-net-utils change boot and networking behaviour; containerd
# and runc are locked by install-containerd.sh.
dnf_locked=(kernel amazon-ec2-net-utils)
# The Debian equivalents the local image needs. The base image is built offline with all
# of them (test/system/base-image.sh), so apt is reached only when one is missing.
apt_packages=(ca-certificates curl iproute2 kmod procps iptables conntrack socat jq pigz ipvsadm chrony
  # local storage, as on Amazon Linux; the test base image (test/system/base-image.sh) carries them
  mdadm xfsprogs nvme-cli)

if command -v dnf >/dev/null 2>&1; then
  dnf install -y "${dnf_packages[@]}"
  dnf install -y 'dnf-command(versionlock)'
  installed_locked=()
  for pkg in "${dnf_locked[@]}"; do
    if rpm -q "$pkg" >/dev/null 2>&1; then installed_locked+=("$pkg"); fi
  done
  # The minimal AMI names its kernel package kernel6.12 / kernel6.18 on some releases.
  while IFS= read -r pkg; do installed_locked+=("$pkg"); done < <(rpm -qa --qf '%{NAME}\n' 'kernel6.*' | grep -E '^kernel6\.[0-9]+$' | sort -u)
  ((${#installed_locked[@]} > 0)) || { echo "install-packages: none of ${dnf_locked[*]} is installed; nothing to lock" >&2; exit 1; }
  dnf versionlock add "${installed_locked[@]}"
  systemctl enable chronyd.service amazon-ssm-agent.service
  echo "install-packages: ${dnf_packages[*]} installed; ${installed_locked[*]} locked"
elif command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} > 0)); then
    echo "install-packages: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "install-packages: ${apt_packages[*]} already installed"
  fi
  systemctl enable chrony.service
else
  echo "install-packages: neither dnf nor apt-get found; this image is not Amazon Linux 2023 or Debian" >&2
  exit 1
fi
