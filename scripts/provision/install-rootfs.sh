#!/usr/bin/env bash
# Copies packer/rootfs (uploaded by the build) onto the image: the agent's units,
# kubelet.service, runtime.slice, drop-ins, sysctls, kernel modules, networkd and udev
# settings and the helpers under /usr/libexec/eks-node; enables the agent's two units, the
# prefetch unit and the interface record. kubelet and containerd stay disabled: the agent
# starts them once their configuration exists.
set -o errexit -o nounset -o pipefail

: "${UPLOAD_DIR:?UPLOAD_DIR must name the directory the build uploaded files to (set by the template)}"
source_dir="$UPLOAD_DIR/rootfs"
[[ -d "$source_dir/etc/systemd/system" ]] ||
  { echo "install-rootfs: $source_dir/etc/systemd/system is missing; the upload of packer/rootfs failed" >&2; exit 1; }

while IFS= read -r -d '' file; do
  relative="${file#"$source_dir"}"
  # Named rather than taken from the upload, whose modes depend on the machine that baked;
  # helpers under /usr/libexec and /etc/eks/bootstrap.sh are the only executables in rootfs.
  case "$relative" in
    /etc/eks/bootstrap.sh | /usr/libexec/*) mode=0755 ;;
    *) mode=0644 ;;
  esac
  install -D -m "$mode" -o root -g root "$file" "$relative"
  echo "install-rootfs: $relative"
done < <(find "$source_dir" -type f -print0 | sort -z)

systemctl daemon-reload
systemctl enable eks-node-agent-config.service eks-node-agent-run.service eks-node-prefetch.service eks-node-interfaces.service
# amazon-ec2-net-utils would set up every ENI, the VPC CNI's included; our rule
# (81-eks-node-interfaces.rules) runs its per-interface service for boot interfaces only.
if [[ -e /usr/lib/udev/rules.d/99-vpc-policy-routes.rules ]]; then
  ln -sfn /dev/null /etc/udev/rules.d/99-vpc-policy-routes.rules
  echo "install-rootfs: masked amazon-ec2-net-utils' 99-vpc-policy-routes.rules"
fi
# Amazon Linux has sshd-keygen@.service; Debian needs ours to recreate the removed host keys
# (the fast ones before sshd, RSA after it, so the boot never waits for RSA).
if [[ -x /usr/bin/ssh-keygen ]]; then
  systemctl enable eks-node-ssh-keygen.service eks-node-ssh-keygen-rsa.service
fi
# Debian's package enables containerd; on a node it must not start with package defaults.
systemctl disable containerd.service
echo "install-rootfs: enabled eks-node-agent-config.service, eks-node-agent-run.service (aliases nodeadm-config.service, nodeadm-run.service), eks-node-prefetch.service and eks-node-interfaces.service"
