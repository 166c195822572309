#!/usr/bin/env bash
# Installs the base packages the node needs at run time (and curl for the next steps).
# The one place besides install-containerd.sh that knows about package managers:
# dnf on Amazon Linux 2023, apt on the Debian base of the local qemu build.
set -o errexit -o nounset -o pipefail

dnf_packages=(conntrack-tools ethtool iproute iptables-nft kmod procps-ng socat tar)
# mdadm, xfsprogs, nvme-cli: the agent builds instance-store arrays (spec.instance.localStorage)
dnf_packages+=(mdadm xfsprogs nvme-cli)
# /opt/aws/bin/cfn-signal, which CloudFormation node group user data calls after bootstrap.sh.
dnf_packages+=(aws-cfn-bootstrap)
# The local base image is built offline: list only what provisioning itself uses, and
# every one of these is in a default debootstrap, so apt is reached only when one is missing.
apt_packages=(ca-certificates curl iproute2 kmod procps)
# local storage, as on Amazon Linux; the test base image (test/system/base-image.sh) carries them
apt_packages+=(mdadm xfsprogs nvme-cli)

if command -v dnf >/dev/null 2>&1; then
  dnf install -y "${dnf_packages[@]}"
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
else
  echo "install-packages: neither dnf nor apt-get found; this image is not Amazon Linux 2023 or Debian" >&2
  exit 1
fi
