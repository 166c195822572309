#!/usr/bin/env bash
# Points chrony at the Amazon Time Sync Service: the link-local 169.254.169.123 (IPv4) and
# fd00:ec2::123 (IPv6-only subnets), reachable from every instance without internet
# access or DNS. Written as a .sources file into the directory the distribution's own
# chrony.conf reads (/etc/chrony.d on Amazon Linux, /etc/chrony/sources.d on Debian), so
# the package's configuration stays untouched.
set -o errexit -o nounset -o pipefail

INSTALL_ROOT="${INSTALL_ROOT:-}"

fail() {
  echo "configure-time-sync: $*" >&2
  exit 1
}

conf=""
for candidate in /etc/chrony.conf /etc/chrony/chrony.conf; do
  if [[ -f "$INSTALL_ROOT$candidate" ]]; then conf="$candidate"; break; fi
done
[[ -n "$conf" ]] || fail "no chrony configuration (/etc/chrony.conf or /etc/chrony/chrony.conf); install-packages.sh installs chrony"

# The first sourcedir under /etc: /run ones hold what DHCP learnt and are not ours.
sourcedir="$(sed -n 's/^[[:space:]]*sourcedir[[:space:]]\+\(\/etc\/[^[:space:]]*\).*/\1/p' "$INSTALL_ROOT$conf" | head -n 1)"
[[ -n "$sourcedir" ]] || fail "$conf has no sourcedir under /etc to put the Amazon Time Sync sources in"

install -d -m 0755 "$INSTALL_ROOT$sourcedir"
cat >"$INSTALL_ROOT$sourcedir/eks-node-time-sync.sources" <<'SOURCES'
# Amazon Time Sync Service (link-local, on every EC2 instance), preferred over any pool.
server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4
server fd00:ec2::123 iburst minpoll 4 maxpoll 4
SOURCES
chmod 0644 "$INSTALL_ROOT$sourcedir/eks-node-time-sync.sources"
echo "configure-time-sync: $sourcedir/eks-node-time-sync.sources (read by $conf) names 169.254.169.123 and fd00:ec2::123"
