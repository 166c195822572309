#!/usr/bin/env bash
# Removes what must not ship in an image: identity (machine-id, SSH host keys,
# authorized_keys, the boot interface record), cloud-init state, logs, shell history,
# package caches and the build's upload directory. validate-clean.sh checks the result.
set -o errexit -o nounset -o pipefail

# Tests clean a directory tree instead of the running system.
TARGET_ROOT="${TARGET_ROOT:-}"
UPLOAD_DIR="${UPLOAD_DIR:-/tmp/eks-node}"
r="$TARGET_ROOT"

if [[ -z "$r" ]]; then
  if command -v dnf >/dev/null 2>&1; then dnf clean all >/dev/null; fi
  if command -v apt-get >/dev/null 2>&1; then apt-get clean; fi
  if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs; fi
  if command -v journalctl >/dev/null 2>&1; then
    # Archive the live journal files so the vacuum can delete every entry so far.
    journalctl --rotate >/dev/null
    journalctl --vacuum-time=1s >/dev/null
  fi
fi

# An empty (not absent) machine-id makes systemd create a fresh one on first boot.
if [[ -e "$r/etc/machine-id" ]]; then : >"$r/etc/machine-id"; fi
if [[ -f "$r/var/lib/dbus/machine-id" && ! -L "$r/var/lib/dbus/machine-id" ]]; then rm -f -- "$r/var/lib/dbus/machine-id"; fi

rm -f -- "$r"/etc/ssh/ssh_host_*
rm -f -- "$r"/root/.ssh/authorized_keys "$r"/home/*/.ssh/authorized_keys
rm -f -- "$r"/root/.bash_history "$r"/home/*/.bash_history
rm -rf -- "$r"/var/lib/cloud/*
# The interfaces of the instance that ran the run phase; a node records its own.
rm -f -- "$r"/var/lib/eks-node/boot-interfaces

if [[ -d "$r/var/log" ]]; then
  rm -f -- "$r"/var/log/cloud-init*.log "$r"/var/log/cloud-init-output.log
  # Rotated logs go; live ones are emptied so services that expect the file still find it.
  find "$r/var/log" -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' -o -name '*-[0-9]*' \) \
    ! -path "$r/var/log/journal/*" -delete
  find "$r/var/log" -type f ! -path "$r/var/log/journal/*" -size +0 -exec truncate -s 0 {} +
  if [[ -d "$r/var/log/journal" ]]; then
    if [[ -z "$r" ]]; then
      find "$r/var/log/journal" -type f \( -name '*@*.journal' -o -name '*.journal~' \) -delete
    else
      find "$r/var/log/journal" -type f -delete
    fi
  fi
fi

rm -rf -- "$r"/var/cache/dnf/* "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin
if [[ -d "$r/var/lib/apt/lists" ]]; then
  find "$r/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
fi

rm -rf -- "$r$UPLOAD_DIR"
echo "cleanup: identity, cloud-init state, logs, history, package caches and $UPLOAD_DIR removed"
