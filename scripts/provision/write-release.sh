#!/usr/bin/env bash
# Records what the image holds: /etc/eks/release (shell KEY=value, for people and
# scripts on the node) and /etc/eks/version-manifest.json (for the build pipeline,
# which downloads it next to the AMI id): versions, the kernel, the image the build
# started from, every installed package and the sha256 of every downloaded artifact.
# Run after every install step.
set -o errexit -o nounset -o pipefail

: "${KUBERNETES_VERSION:?set the Packer variable kubernetes_version}"
: "${KUBERNETES_BUILD_DATE:?set the Packer variable kubernetes_build_date}"
: "${ARCH:?set the Packer variable arch}"
: "${AGENT_VERSION:?AGENT_VERSION must be set by the template (from package.json)}"
: "${BUILD_TIMESTAMP:?BUILD_TIMESTAMP must be set by the template}"
: "${PAUSE_IMAGE:?set the Packer variable pause_image}"
INSTALL_ROOT="${INSTALL_ROOT:-}"
KERNEL_RELEASE="${KERNEL_RELEASE:-$(uname -r)}"
# The local build names its base disk; on EC2 the build instance's own AMI is the source.
SOURCE_IMAGE="${SOURCE_IMAGE:-}"
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
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

if [[ -z "$SOURCE_IMAGE" ]]; then
  token="$(curl --silent --fail --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$IMDS_ENDPOINT/latest/api/token")" ||
    fail "cannot ask IMDS for the source AMI id ($IMDS_ENDPOINT) and SOURCE_IMAGE is not set"
  SOURCE_IMAGE="$(curl --silent --fail --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$IMDS_ENDPOINT/latest/meta-data/ami-id")" ||
    fail "IMDS did not answer meta-data/ami-id ($IMDS_ENDPOINT)"
fi

# Every installed package as "name<TAB>version", from whichever package database the image has.
if [[ -d "$INSTALL_ROOT/var/lib/rpm" ]] && command -v rpm >/dev/null 2>&1; then
  packages="$(rpm ${INSTALL_ROOT:+--root "$INSTALL_ROOT"} -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}.%{ARCH}\n')" ||
    fail "rpm -qa failed"
elif [[ -f "$INSTALL_ROOT/var/lib/dpkg/status" ]] && command -v dpkg-query >/dev/null 2>&1; then
  # shellcheck disable=SC2016 # dpkg-query expands these, not the shell
  packages="$(dpkg-query --admindir="$INSTALL_ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\n' |
    sed -n 's/^ii *\t//p')" || fail "dpkg-query -W failed"
else
  fail "no rpm or dpkg package database under ${INSTALL_ROOT:-/}; cannot list the installed packages"
fi
[[ -n "$packages" ]] || fail "the package database lists no installed package"
package_json=""
package_count=0
while IFS=$'\t' read -r name version; do
  [[ "$name" =~ ^[A-Za-z0-9._+-]+$ && "$version" =~ ^[A-Za-z0-9._+~:^-]+$ ]] ||
    fail "package \"$name\" has version \"$version\" with characters the manifest cannot hold"
  package_json+="${package_json:+,}\"$name\":\"$version\""
  package_count=$((package_count + 1))
done < <(LC_ALL=C sort -u <<<"$packages")

# Every value is printed into JSON unescaped, so each must be from a safe alphabet.
safe='^[A-Za-z0-9._:/+~@-]+$'
for pair in "kubernetes_version=$KUBERNETES_VERSION" "kubernetes_build_date=$KUBERNETES_BUILD_DATE" \
  "arch=$ARCH" "agent_version=$AGENT_VERSION" "build_timestamp=$BUILD_TIMESTAMP" "pause_image=$PAUSE_IMAGE" \
  "kernel=$KERNEL_RELEASE" "kubelet=$kubelet" "containerd=$containerd" "runc=$runc" "source_image=$SOURCE_IMAGE"; do
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
SOURCE_IMAGE=$SOURCE_IMAGE
RELEASE

# Keys sorted, one object, trailing newline: diffable between builds.
printf '{"agent":{"sha256":"%s","version":"%s"},"arch":"%s","artifacts":{%s},"buildTimestamp":"%s","containerd":"%s","kernel":"%s","kubelet":"%s","kubernetesBuildDate":"%s","kubernetesVersion":"%s","packages":{%s},"pauseImage":"%s","runc":"%s","sourceImage":"%s"}\n' \
  "$agent_sha256" "$AGENT_VERSION" "$ARCH" "$artifacts" "$BUILD_TIMESTAMP" "$containerd" "$KERNEL_RELEASE" \
  "$kubelet" "$KUBERNETES_BUILD_DATE" "$KUBERNETES_VERSION" "$package_json" "$PAUSE_IMAGE" "$runc" "$SOURCE_IMAGE" >"$eks/version-manifest.json"
chmod 0644 "$eks/release" "$eks/version-manifest.json"
echo "write-release: kubelet $kubelet, containerd $containerd, runc $runc, agent $AGENT_VERSION, kernel $KERNEL_RELEASE, source $SOURCE_IMAGE, $package_count packages"
