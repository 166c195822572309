#!/usr/bin/env bash
# Runs ShellCheck on every shell script of the repository (scripts/, test/, .ci/), including
# the provisioning scripts and the helpers under packer/rootfs that run in the image. Any finding fails.
set -o errexit -o nounset -o pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mapfile -t files < <(
  {
    find scripts test packer/rootfs -type f -name '*.sh' -not -path '*/node_modules/*'
    # Extensionless scripts with a shell shebang (such as .ci/run).
    find .ci scripts test packer/rootfs -type f -not -path "*/node_modules/*" ! -name '*.*' -exec sh -c 'head -n 1 "$1" | grep -Eq "^#!.*(ba|da)?sh\b"' _ {} \; -print 2>/dev/null
  } | LC_ALL=C sort -u
)
if ((${#files[@]} == 0)); then
  echo "lint-shell: no shell scripts found under $repo" >&2
  exit 1
fi
shellcheck --severity=style --external-sources "${files[@]}"
echo "lint-shell: ${#files[@]} scripts clean: ${files[*]}"
