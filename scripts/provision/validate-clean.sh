#!/usr/bin/env bash
# Fails the build if anything cleanup.sh removes is still in the image, listing every
# leftover rather than the first.
set -o errexit -o nounset -o pipefail

TARGET_ROOT="${TARGET_ROOT:-}"
UPLOAD_DIR="${UPLOAD_DIR:-/tmp/eks-node}"
r="$TARGET_ROOT"
problems=()

present() {
  local what="$1"
  shift
  local path
  for path in "$@"; do
    if [[ -e "$path" || -L "$path" ]]; then problems+=("$what: ${path#"$r"}"); fi
  done
}

if [[ -s "$r/etc/machine-id" ]]; then problems+=("machine-id: /etc/machine-id is not empty"); fi
if [[ -f "$r/var/lib/dbus/machine-id" && ! -L "$r/var/lib/dbus/machine-id" ]]; then
  problems+=("machine-id: /var/lib/dbus/machine-id")
fi
shopt -s nullglob
present "SSH host key" "$r"/etc/ssh/ssh_host_*
present "authorized_keys" "$r"/root/.ssh/authorized_keys "$r"/home/*/.ssh/authorized_keys
present "shell history" "$r"/root/.bash_history "$r"/home/*/.bash_history
present "cloud-init state" "$r"/var/lib/cloud/*
present "boot interface record" "$r"/var/lib/eks-node/boot-interfaces
present "cloud-init log" "$r"/var/log/cloud-init*.log
present "package cache" "$r"/var/cache/dnf/* "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin
present "upload directory" "$r$UPLOAD_DIR"
if [[ -d "$r/var/lib/apt/lists" ]]; then
  while IFS= read -r -d '' file; do problems+=("package index: ${file#"$r"}"); done < <(
    find "$r/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -print0)
fi
if [[ -d "$r/var/log" ]]; then
  # The live journal keeps receiving the build's own SSH session; only archives count.
  while IFS= read -r -d '' file; do problems+=("log: ${file#"$r"}"); done < <(
    find "$r/var/log" -type f \( \( ! -path "$r/var/log/journal/*" -size +0 \) -o -name '*@*.journal' -o -name '*.journal~' \) -print0 | sort -z)
fi

if ((${#problems[@]} > 0)); then
  echo "validate-clean: the image still holds ${#problems[@]} thing(s) cleanup.sh must remove:" >&2
  printf '  %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "validate-clean: no machine-id, host keys, authorized_keys, cloud-init state, logs, history or package caches"
