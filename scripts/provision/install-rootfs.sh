#!/usr/bin/env bash
# Copies packer/rootfs (uploaded by the build) onto the image: the agent's units,
# kubelet.service, the containerd drop-in, sysctls and kernel modules; enables the
# agent's two units. kubelet and containerd stay disabled: the agent's run phase starts
# them once their configuration exists.
set -o errexit -o nounset -o pipefail

: "${UPLOAD_DIR:?UPLOAD_DIR must name the directory the build uploaded files to (set by the template)}"
source_dir="$UPLOAD_DIR/rootfs"
[[ -d "$source_dir/etc/systemd/system" ]] ||
  { echo "install-rootfs: $source_dir/etc/systemd/system is missing; the upload of packer/rootfs failed" >&2; exit 1; }

while IFS= read -r -d '' file; do
  relative="${file#"$source_dir"}"
  # Named rather than taken from the upload, whose modes depend on the machine that baked.
  case "$relative" in
    /etc/eks/bootstrap.sh) mode=0755 ;;
    *) mode=0644 ;;
  esac
  install -D -m "$mode" -o root -g root "$file" "$relative"
  echo "install-rootfs: $relative"
done < <(find "$source_dir" -type f -print0 | sort -z)

systemctl daemon-reload
systemctl enable eks-node-agent-config.service eks-node-agent-run.service
# Amazon Linux has sshd-keygen@.service; Debian needs ours to recreate the removed host keys.
if [[ -x /usr/bin/ssh-keygen ]]; then
  systemctl enable eks-node-ssh-keygen.service
fi
# Debian's package enables containerd; on a node it must not start with package defaults.
systemctl disable containerd.service
echo "install-rootfs: enabled eks-node-agent-config.service and eks-node-agent-run.service (aliases nodeadm-config.service, nodeadm-run.service)"
