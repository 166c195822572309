#!/usr/bin/env bash
# Installs the eks-node-agent executable uploaded by Packer's file provisioner, after
# checking it against the .sha256 written beside it by `npm run build:exe`.
set -o errexit -o nounset -o pipefail

: "${UPLOAD_DIR:?UPLOAD_DIR must name the directory the build uploaded files to (set by the template)}"
INSTALL_ROOT="${INSTALL_ROOT:-}"
binary="$UPLOAD_DIR/agent/eks-node-agent"
checksum="$UPLOAD_DIR/agent/eks-node-agent.sha256"

fail() {
  echo "install-agent: $*" >&2
  exit 1
}

[[ -f "$binary" ]] || fail "$binary is missing: check the Packer variable agent_binary_path"
[[ -f "$checksum" ]] || fail "$checksum is missing: agent_binary_path needs a .sha256 beside it (npm run build:exe writes one)"

# The file holds "hash" or "hash  name"; the name is the build's, not ours, so take the hash.
read -r expected _ <"$checksum" || true
expected="${expected:-}"
expected="${expected,,}"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "$checksum does not start with a sha256 (got \"$expected\")"
actual="$(sha256sum "$binary" | cut -d ' ' -f 1)"
[[ "$actual" == "$expected" ]] ||
  fail "sha256 mismatch for eks-node-agent (agent_binary_path): expected $expected, got $actual"

install -D -m 0755 "$binary" "$INSTALL_ROOT/usr/bin/eks-node-agent"
# A binary for the wrong architecture or a broken bundle fails here, at bake time.
"$INSTALL_ROOT/usr/bin/eks-node-agent" version >/dev/null ||
  fail "the installed /usr/bin/eks-node-agent does not run (\`eks-node-agent version\` failed)"

# nodeadm's command name: user-data scripts and runbooks written for the AL2023 AMI call
# `nodeadm init` or `nodeadm config check`, and the agent takes nodeadm's spellings
# (docs/from-nodeadm.md). A real nodeadm (an image built on top of the EKS AMI) is left alone.
nodeadm="$INSTALL_ROOT/usr/bin/nodeadm"
if [[ -e "$nodeadm" && ! -L "$nodeadm" ]]; then
  echo "install-agent: $nodeadm is not a link to eks-node-agent: left alone (an image built on the EKS AMI runs nodeadm's units beside ours)" >&2
else
  ln -sfn eks-node-agent "$nodeadm"
fi

install -d -m 0755 "$INSTALL_ROOT/etc/eks"
manifest="$INSTALL_ROOT/etc/eks/artifacts.sha256"
touch "$manifest"
{
  grep -v -F '  /usr/bin/eks-node-agent' "$manifest" || true
  printf '%s  %s\n' "$actual" /usr/bin/eks-node-agent
} | LC_ALL=C sort -k 2 >"$manifest.new"
mv -- "$manifest.new" "$manifest"
echo "install-agent: eks-node-agent installed (sha256 $actual), nodeadm a link to it"
