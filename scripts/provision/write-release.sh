#!/usr/bin/env bash
# Records what the image holds: /etc/eks/release (shell KEY=value, for people and
# scripts on the node) and /etc/eks/version-manifest.json (for the build pipeline,
# which downloads it next to the AMI id). Run after every install step.
set -o errexit -o nounset -o pipefail

: "${KUBERNETES_VERSION:?set the Packer variable kubernetes_version}"
: "${KUBERNETES_BUILD_DATE:?set the Packer variable kubernetes_build_date}"
: "${ARCH:?set the Packer variable arch}"
: "${AGENT_VERSION:?AGENT_VERSION must be set by the template (from package.json)}"
: "${BUILD_TIMESTAMP:?BUILD_TIMESTAMP must be set by the template}"
: "${PAUSE_IMAGE:?set the Packer variable pause_image}"
INSTALL_ROOT="${INSTALL_ROOT:-}"
KERNEL_RELEASE="${KERNEL_RELEASE:-$(uname -r)}"
eks="$INSTALL_ROOT/etc/eks"

fail() {
  echo "write-release: $*" >&2
  exit 1
}

read_first_line() {
  local file="$eks/$1" value
  [[ -s "$file" ]] || fail "$file is missing; the step that writes it did not run"
  IFS= read -r value <"$file" || true
  printf '%s' "$value"
}

kubelet="$(read_first_line kubelet-version.txt)"
containerd="$(read_first_line containerd-version.txt)"
runc="$(read_first_line runc-version.txt)"
[[ -s "$eks/artifacts.sha256" ]] || fail "$eks/artifacts.sha256 is missing; install-binaries.sh and install-agent.sh write it"

# Every value is printed into JSON unescaped, so each must be from a safe alphabet.
safe='^[A-Za-z0-9._:/+~@-]+$'
for pair in "kubernetes_version=$KUBERNETES_VERSION" "kubernetes_build_date=$KUBERNETES_BUILD_DATE" \
  "arch=$ARCH" "agent_version=$AGENT_VERSION" "build_timestamp=$BUILD_TIMESTAMP" "pause_image=$PAUSE_IMAGE" \
  "kernel=$KERNEL_RELEASE" "kubelet=$kubelet" "containerd=$containerd" "runc=$runc"; do
  [[ "${pair#*=}" =~ $safe ]] || fail "${pair%%=*} is \"${pair#*=}\", which has characters outside [A-Za-z0-9._:/+~@-]"
done

artifacts=""
agent_sha256=""
while read -r sum path; do
  [[ "$sum" =~ ^[0-9a-f]{64}$ && "$path" =~ $safe ]] || fail "$eks/artifacts.sha256 has a malformed line: $sum $path"
  artifacts+="${artifacts:+,}\"$path\":\"$sum\""
  if [[ "$path" == /usr/bin/eks-node-agent ]]; then agent_sha256="$sum"; fi
done < <(LC_ALL=C sort -k 2 "$eks/artifacts.sha256")
[[ -n "$agent_sha256" ]] || fail "$eks/artifacts.sha256 has no line for /usr/bin/eks-node-agent"

cat >"$eks/release" <<RELEASE
AGENT_VERSION=$AGENT_VERSION
ARCH=$ARCH
BUILD_TIMESTAMP=$BUILD_TIMESTAMP
CONTAINERD_VERSION=$containerd
KERNEL_RELEASE=$KERNEL_RELEASE
KUBELET_VERSION=$kubelet
KUBERNETES_BUILD_DATE=$KUBERNETES_BUILD_DATE
KUBERNETES_VERSION=$KUBERNETES_VERSION
PAUSE_IMAGE=$PAUSE_IMAGE
RUNC_VERSION=$runc
RELEASE

# Keys sorted, one object, trailing newline: diffable between builds.
printf '{"agent":{"sha256":"%s","version":"%s"},"arch":"%s","artifacts":{%s},"buildTimestamp":"%s","containerd":"%s","kernel":"%s","kubelet":"%s","kubernetesBuildDate":"%s","kubernetesVersion":"%s","pauseImage":"%s","runc":"%s"}\n' \
  "$agent_sha256" "$AGENT_VERSION" "$ARCH" "$artifacts" "$BUILD_TIMESTAMP" "$containerd" "$KERNEL_RELEASE" \
  "$kubelet" "$KUBERNETES_BUILD_DATE" "$KUBERNETES_VERSION" "$PAUSE_IMAGE" "$runc" >"$eks/version-manifest.json"
chmod 0644 "$eks/release" "$eks/version-manifest.json"
echo "write-release: kubelet $kubelet, containerd $containerd, runc $runc, agent $AGENT_VERSION, kernel $KERNEL_RELEASE"
