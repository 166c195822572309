#!/usr/bin/env bash
# Runs a command the way a newcomer on a fresh Debian 12 machine would: as a non-root user, in a
# private mount namespace where every tool outside a minimal Debian install (plus Node.js and
# npm) is hidden, on a writable copy of this working tree. CI runs `npm ci && npm test` through
# it, so a test that quietly needs an apt package fails CI instead of the next newcomer.
#
#   sudo test/as-newcomer.sh [--user UID] [--keep] [--] COMMAND...   (default: npm ci && npm test)
#
# What stays visible on PATH: files of installed packages that are Essential or of priority
# "required" (what `debootstrap --variant=minbase`, and so the debian:12 image, installs), plus
# ca-certificates and openssl (every way of installing Node.js on Debian pulls them in), plus
# node, npm, npx and corepack. Everything else in the PATH directories (llvm, qemu, kubectl,
# containerd, systemd-analyze, binutils, python3, ...) is hidden with overlayfs whiteouts, and
# /usr/aarch64-linux-gnu (the arm64 cross libraries) is covered by an empty tmpfs.
# Needs root (mount namespaces, overlayfs); the command itself runs as UID (default 65534,
# nobody) with HOME in a fresh temporary directory.
set -o errexit -o nounset -o pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
user_id=65534
keep=no
while [[ $# -gt 0 ]]; do
  case "$1" in
    --user) user_id="$2"; shift 2 ;;
    --keep) keep=yes; shift ;;
    --) shift; break ;;
    -*) echo "as-newcomer: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || set -- sh -c 'npm ci --no-audit --no-fund && npm test'

if [[ $EUID -ne 0 ]]; then
  echo "as-newcomer: needs root (it builds a mount namespace and switches to uid $user_id)" >&2
  exit 2
fi
for tool in unshare setpriv dpkg-query; do
  command -v "$tool" >/dev/null || { echo "as-newcomer: $tool not found (util-linux/dpkg: is this Debian?)" >&2; exit 2; }
done

if [[ "${AS_NEWCOMER_INSIDE:-}" != yes ]]; then
  # Re-run this script inside a private mount namespace: nothing mounted there is seen outside,
  # and everything goes away with the last process.
  AS_NEWCOMER_INSIDE=yes AS_NEWCOMER_KEEP="$keep" exec unshare --mount --propagation private -- "$0" --user "$user_id" -- "$@"
fi

# ---- inside the namespace ----
keep="${AS_NEWCOMER_KEEP:-$keep}"
node_bin="$(command -v node || true)"
[[ -n "$node_bin" ]] || { echo "as-newcomer: node not found on PATH" >&2; exit 2; }
node_bin="$(readlink -f "$node_bin")"
node_dir="$(dirname -- "$node_bin")"

scratch="$(mktemp -d /tmp/as-newcomer.XXXXXX)"
chmod 0755 "$scratch"
cleanup() { if [[ $keep == yes ]]; then echo "as-newcomer: kept $scratch" >&2; else rm -rf -- "$scratch"; fi; }
trap cleanup EXIT
mkdir -p "$scratch/whiteouts" "$scratch/home" "$scratch/work"

# The names a minimal Debian 12 has in its PATH directories.
declare -A allowed=()
while read -r pkg; do
  while read -r file; do
    case "$file" in /bin/* | /sbin/* | /usr/bin/* | /usr/sbin/* | /usr/local/bin/* | /usr/local/sbin/*) allowed["${file##*/}"]=1 ;; esac
  done < <(dpkg-query -L "$pkg" 2>/dev/null)
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Essential} ${Priority}\n' |
  awk '$1 == "ii" && ($3 == "yes" || $4 == "required" || $2 ~ /^(ca-certificates|openssl)(:|$)/) {print $2}')
for name in node nodejs npm npx corepack; do allowed[$name]=1; done

hidden=()
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  # On merged-/usr systems /bin and /sbin are symlinks into /usr: the /usr mount covers them.
  [[ -d "$dir" && ! -L "$dir" ]] || continue
  # The directory node lives in (e.g. /usr/local/bin from the official tarball) keeps npm's
  # neighbours; only names outside the allowed set are hidden there too.
  layer="$scratch/whiteouts$dir"
  mkdir -p "$layer"
  count=0
  for entry in "$dir"/*; do
    [[ -e "$entry" || -L "$entry" ]] || continue
    name="${entry##*/}"
    [[ -n "${allowed[$name]:-}" ]] && continue
    [[ "$dir" == "$node_dir" && "$name" == node* ]] && continue
    mknod "$layer/$name" c 0 0
    hidden+=("$name")
    count=$((count + 1))
  done
  [[ $count -gt 0 ]] || continue
  # A read-only overlay: the whiteouts layer above the real directory.
  mount -t overlay as-newcomer -o "lowerdir=$layer:$dir" "$dir"
done
if [[ -d /usr/aarch64-linux-gnu ]]; then
  mount -t tmpfs -o ro,mode=0755 as-newcomer /usr/aarch64-linux-gnu
  hidden+=(/usr/aarch64-linux-gnu)
fi

# A writable copy of the working tree, owned by the user: the clone itself may sit in a
# root-owned directory. node_modules and dist are left behind (the command makes its own), and
# the read-only ../shared the project reads is put beside the copy, as CI has it.
copy="$scratch/work/eks-node"
mkdir -p "$copy"
(cd "$repo" && tar --exclude=./node_modules --exclude=./dist --exclude=./.cache --exclude=./.git -cf - .) | tar -xf - -C "$copy"
if [[ -d "$repo/../shared" ]]; then
  cp -a "$(readlink -f "$repo/../shared")" "$scratch/work/shared"
fi
chown -R "$user_id:$user_id" "$scratch/work" "$scratch/home"

echo "as-newcomer: uid $user_id, ${#hidden[@]} tools hidden (e.g. $(printf '%s ' "${hidden[@]}" | tr ' ' '\n' | grep -E '^(llvm-strip|qemu-aarch64-static|kubectl|containerd|systemd-analyze|readelf|python3)$' | tr '\n' ' ')), running in $copy: $*" >&2
cd "$copy"
setpriv --reuid="$user_id" --regid="$user_id" --clear-groups \
  env -i HOME="$scratch/home" PATH="$node_dir:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin" \
  LANG=C.UTF-8 TMPDIR=/tmp CI="${CI:-}" npm_config_cache="$scratch/home/.npm" "$@"
