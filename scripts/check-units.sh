#!/usr/bin/env bash
# Verifies every systemd unit under packer/rootfs with `systemd-analyze verify`, once on
# a root without cloud-init (the local Debian image), once with stand-ins carrying
# cloud-init's ordering on Amazon Linux and once with its network stage ordered as on Debian
# and Ubuntu (before sysinit.target), so an ordering cycle in any of them fails the check.
# Any warning counts as a failure: systemd-analyze exits 0 on many of them.
set -o errexit -o nounset -o pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
rootfs="$repo/packer/rootfs"
stand_ins="$repo/test/provision/fixtures/cloud-init-units"
debian_stand_ins="$repo/test/provision/fixtures/cloud-init-units-debian"
# Units of Amazon Linux packages the image has drop-ins for.
package_units="$repo/test/provision/fixtures/package-units"
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT

mapfile -t units < <(cd "$rootfs/etc/systemd/system" && find . -maxdepth 1 \( -name '*.service' -o -name '*.slice' -o -name '*.socket' \) -printf '%f\n' | LC_ALL=C sort)
# Drop-ins are verified through the unit they extend.
mapfile -t extended < <(cd "$rootfs/etc/systemd/system" && find . -maxdepth 1 -name '*.service.d' -printf '%f\n' | sed 's/\.d$//' | LC_ALL=C sort)

make_root() {
  local root="$1" with_cloud_init="$2" exe unit
  mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system/multi-user.target.wants"
  cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
  cp -r "$rootfs/." "$root/"
  for unit in "$package_units"/*.service; do
    [[ -e "/usr/lib/systemd/system/${unit##*/}" ]] || cp "$unit" "$root/usr/lib/systemd/system/"
  done
  # verify checks that every ExecStart command exists and is executable in the root.
  while read -r exe; do
    [[ -e "$root$exe" ]] && continue
    mkdir -p "$root$(dirname -- "$exe")"
    printf '#!/bin/sh\n' >"$root$exe"
    chmod 0755 "$root$exe"
  done < <(cat "$root"/usr/lib/systemd/system/containerd.service "$package_units"/*.service "$rootfs"/etc/systemd/system/*.service 2>/dev/null |
    sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\(\/[^ ]*\).*/\1/p' | sort -u)
  for unit in eks-node-agent-config.service eks-node-agent-run.service; do
    ln -sf "/etc/systemd/system/$unit" "$root/etc/systemd/system/multi-user.target.wants/$unit"
  done
  if [[ "$with_cloud_init" != no ]]; then
    cp "$stand_ins"/*.service "$root/usr/lib/systemd/system/"
    [[ "$with_cloud_init" != debian ]] || cp "$debian_stand_ins"/*.service "$root/usr/lib/systemd/system/"
    [[ -e "$root/bin/true" ]] || { mkdir -p "$root/bin"; printf '#!/bin/sh\n' >"$root/bin/true"; chmod 0755 "$root/bin/true"; }
    for unit in "$stand_ins"/*.service; do
      ln -sf "/usr/lib/systemd/system/${unit##*/}" "$root/etc/systemd/system/multi-user.target.wants/${unit##*/}"
    done
  fi
}

if [[ ! -f /usr/lib/systemd/system/containerd.service ]]; then
  echo "check-units: /usr/lib/systemd/system/containerd.service is missing; install the containerd package (the drop-ins extend it)" >&2
  exit 2
fi

status=0
# udev runs what a rule names without checking it first: every program a rule of the image
# names must be in the image (packer/rootfs) or come with every distribution (/usr/bin).
while IFS= read -r program; do
  if [[ ! -x "$rootfs$program" && "$program" != /usr/bin/* ]]; then
    echo "check-units: a udev rule names $program, which packer/rootfs does not hold as an executable" >&2
    status=1
  fi
done < <(sed -n 's/.*\(IMPORT{program}\|RUN+\?\)="\(\/[^ "]*\).*/\2/p' "$rootfs"/etc/udev/rules.d/*.rules | sort -u)

for variant in without-cloud-init with-cloud-init with-debian-cloud-init; do
  root="$work/$variant"
  case "$variant" in
    without-cloud-init) make_root "$root" no ;;
    with-cloud-init) make_root "$root" yes ;;
    with-debian-cloud-init) make_root "$root" debian ;;
  esac
  if ! output="$(systemd-analyze verify --man=no --root="$root" multi-user.target "${units[@]}" "${extended[@]}" 2>&1)" || [[ -n "$output" ]]; then
    echo "check-units: systemd-analyze verify ($variant) reported:" >&2
    printf '%s\n' "$output" >&2
    status=1
  else
    echo "check-units: ${units[*]} ${extended[*]} verified ($variant)"
  fi
done
# containerd's drop-in drops the package's `modprobe overlay`: only safe while the image loads
# overlay at boot itself.
if grep -qx 'ExecStartPre=' "$rootfs/etc/systemd/system/containerd.service.d/10-eks-node.conf" &&
  ! grep -qx 'overlay' "$rootfs/etc/modules-load.d/eks-node.conf"; then
  echo "check-units: containerd.service.d/10-eks-node.conf clears ExecStartPre (modprobe overlay), but modules-load.d/eks-node.conf does not load overlay" >&2
  status=1
fi
# nodeadm's unit names must resolve to ours once the units are enabled, as the image enables them.
alias_root="$work/aliases"
mkdir -p "$alias_root/etc/systemd/system"
cp "$rootfs"/etc/systemd/system/eks-node-agent-*.service "$alias_root/etc/systemd/system/"
systemctl --root="$alias_root" --quiet enable eks-node-agent-config.service eks-node-agent-run.service
for phase in config run; do
  target="$(readlink "$alias_root/etc/systemd/system/nodeadm-$phase.service" || true)"
  if [[ "$target" != "/etc/systemd/system/eks-node-agent-$phase.service" ]]; then
    echo "check-units: systemctl enable made no nodeadm-$phase.service alias of eks-node-agent-$phase.service (got '${target}')" >&2
    status=1
  fi
done
[[ $status -ne 0 ]] || echo "check-units: nodeadm-config.service and nodeadm-run.service alias the agent's units"
exit "$status"
