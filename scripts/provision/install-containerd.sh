#!/usr/bin/env bash
# Installs containerd and runc at the requested versions, locks them so a later
# `dnf upgrade` / `apt upgrade` on the node cannot move them, and records the
# containerd version the agent reads (it picks the config schema from it).
set -o errexit -o nounset -o pipefail

: "${CONTAINERD_VERSION:?set the Packer variable containerd_version (e.g. 1.7.* or *)}"
: "${RUNC_VERSION:?set the Packer variable runc_version (e.g. 1.2.* or *)}"
INSTALL_ROOT="${INSTALL_ROOT:-}"

version_pattern='^(\*|[0-9]+(\.[0-9]+)*(\.\*|\*)?([~+.-][0-9A-Za-z.~+-]*)?)$'
for pair in "containerd_version=$CONTAINERD_VERSION" "runc_version=$RUNC_VERSION"; do
  if [[ ! "${pair#*=}" =~ $version_pattern ]]; then
    echo "install-containerd: Packer variable ${pair%%=*} is \"${pair#*=}\"; expected a version or glob such as 1.7.27, 1.7.* or *" >&2
    exit 1
  fi
done

# Echo the package spec for a version glob: "*" means whatever the repository holds.
spec() {
  local name="$1" version="$2" sep="$3"
  if [[ "$version" == "*" ]]; then echo "$name"; else echo "$name$sep$version"; fi
}

if command -v dnf >/dev/null 2>&1; then
  dnf install -y 'dnf-command(versionlock)'
  dnf install -y "$(spec containerd "$CONTAINERD_VERSION" -)" "$(spec runc "$RUNC_VERSION" -)"
  dnf versionlock add containerd runc
elif command -v apt-get >/dev/null 2>&1; then
  # An already installed version that matches is kept, so the offline local build works.
  wanted=()
  for pair in "containerd=$CONTAINERD_VERSION" "runc=$RUNC_VERSION"; do
    name="${pair%%=*}" version="${pair#*=}"
    installed="$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)"
    # shellcheck disable=SC2053 # the right side is a glob on purpose
    if [[ -n "$installed" && "$installed" == $version* ]]; then
      echo "install-containerd: $name $installed already installed (wanted $version)"
    else
      wanted+=("$(spec "$name" "$version" =)")
    fi
  done
  if ((${#wanted[@]} > 0)); then
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${wanted[@]}"
  fi
  apt-mark hold containerd runc
else
  echo "install-containerd: neither dnf nor apt-get found" >&2
  exit 1
fi

containerd_version="$(containerd --version | awk '{print $3}')"
containerd_version="${containerd_version#v}"
if [[ ! "$containerd_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  echo "install-containerd: cannot read the containerd version from \`containerd --version\`: $(containerd --version)" >&2
  exit 1
fi
runc_version="$(runc --version | awk 'NR == 1 {print $3}')"

install -d -m 0755 "$INSTALL_ROOT/etc/eks"
# Keep only the upstream version (Debian appends ~ds1 and the like): the agent compares it.
printf '%s\n' "${containerd_version%%[~+-]*}" >"$INSTALL_ROOT/etc/eks/containerd-version.txt"
printf '%s\n' "${runc_version%%[~+-]*}" >"$INSTALL_ROOT/etc/eks/runc-version.txt"
echo "install-containerd: containerd $containerd_version, runc $runc_version installed and locked"
