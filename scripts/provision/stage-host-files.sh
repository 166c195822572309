#!/usr/bin/env bash
# Runs on the build host (Packer shell-local), not in the image: prepares the files the
# build uploads, so the template needs no conditionals. The instance-type table comes
# from instance_types_file or from DescribeInstanceTypes; the pause tarball from
# pause_image_tar or is an empty placeholder (cache-pause-image.sh then pulls).
set -o errexit -o nounset -o pipefail

: "${STAGING_DIR:?STAGING_DIR must be set by the template}"
: "${REPO_ROOT:?REPO_ROOT must be set by the template}"
: "${AWS_REGION:?set the Packer variable aws_region}"
: "${AGENT_BINARY_PATH:?AGENT_BINARY_PATH must be set by the template}"
INSTANCE_TYPES_FILE="${INSTANCE_TYPES_FILE:-}"
PAUSE_IMAGE_TAR="${PAUSE_IMAGE_TAR:-}"

fail() {
  echo "stage-host-files: $*" >&2
  exit 1
}

[[ -f "$AGENT_BINARY_PATH" ]] || fail "$AGENT_BINARY_PATH does not exist: run npm run build:exe or set the Packer variable agent_binary_path"
[[ -f "$AGENT_BINARY_PATH.sha256" ]] || fail "$AGENT_BINARY_PATH.sha256 does not exist: the agent must ship with its checksum (agent_binary_path)"

mkdir -p "$STAGING_DIR"
if [[ -n "$INSTANCE_TYPES_FILE" ]]; then
  [[ -s "$INSTANCE_TYPES_FILE" ]] || fail "$INSTANCE_TYPES_FILE (Packer variable instance_types_file) is missing or empty"
  cp -- "$INSTANCE_TYPES_FILE" "$STAGING_DIR/instance-types.jsonl"
else
  (cd "$REPO_ROOT" && npx --no-install tsx scripts/gen-instance-types.ts --region "$AWS_REGION" --out "$STAGING_DIR/instance-types.jsonl")
fi

if [[ -n "$PAUSE_IMAGE_TAR" ]]; then
  [[ -s "$PAUSE_IMAGE_TAR" ]] || fail "$PAUSE_IMAGE_TAR (Packer variable pause_image_tar) is missing or empty"
  cp -- "$PAUSE_IMAGE_TAR" "$STAGING_DIR/pause-image.tar"
else
  : >"$STAGING_DIR/pause-image.tar"
fi
echo "stage-host-files: staged $(wc -l <"$STAGING_DIR/instance-types.jsonl") instance types in $STAGING_DIR"
