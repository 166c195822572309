#!/usr/bin/env bash
# Installs the max-pods table (/etc/eks/instance-types.jsonl) the build generated on the
# host (scripts/gen-instance-types.ts) or took from the instance_types_file variable.
set -o errexit -o nounset -o pipefail

: "${UPLOAD_DIR:?UPLOAD_DIR must name the directory the build uploaded files to (set by the template)}"
INSTALL_ROOT="${INSTALL_ROOT:-}"
table="$UPLOAD_DIR/instance-types.jsonl"

fail() {
  echo "install-instance-types: $*" >&2
  exit 1
}

[[ -s "$table" ]] || fail "$table is missing or empty: check the Packer variable instance_types_file or the generator's output"
line_pattern='^\{"instanceType":"[a-z0-9-]+\.[a-z0-9-]+","defaultNetworkCardEnis":[0-9]+,"ipv4PerEni":[0-9]+,"ipv6":(true|false)\}$'
number=0
while IFS= read -r line; do
  number=$((number + 1))
  [[ "$line" =~ $line_pattern ]] || fail "$table line $number is not an instance-type record: $line"
done <"$table"
LC_ALL=C sort -c -u "$table" 2>/dev/null || fail "$table is not sorted by instanceType without duplicates"

install -D -m 0644 "$table" "$INSTALL_ROOT/etc/eks/instance-types.jsonl"
echo "install-instance-types: $number instance types installed"
