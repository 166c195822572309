#!/usr/bin/env bash
# Downloads kubelet, ecr-credential-provider and aws-iam-authenticator, verifies each
# against its published sha256 and only then installs them. Nothing is installed
# unless every artifact verified, so a bad checksum cannot leave a half-updated image.
set -o errexit -o nounset -o pipefail

: "${KUBERNETES_VERSION:?set the Packer variable kubernetes_version (e.g. 1.33.1)}"
: "${KUBERNETES_BUILD_DATE:?set the Packer variable kubernetes_build_date (e.g. 2025-05-01)}"
: "${ARCH:?set the Packer variable arch (x86_64 or arm64)}"
ARTIFACT_BASE_URL="${ARTIFACT_BASE_URL:-}"
BINARY_BUCKET_NAME="${BINARY_BUCKET_NAME:-}"
BINARY_BUCKET_REGION="${BINARY_BUCKET_REGION:-}"
AWS_IAM_AUTHENTICATOR_VERSION="${AWS_IAM_AUTHENTICATOR_VERSION:-}"
DOWNLOAD_TIMEOUT_SECONDS="${DOWNLOAD_TIMEOUT_SECONDS:-300}"
# Tests install into a directory instead of /.
INSTALL_ROOT="${INSTALL_ROOT:-}"

fail() {
  echo "install-binaries: $*" >&2
  exit 1
}

[[ "$KUBERNETES_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "Packer variable kubernetes_version is \"$KUBERNETES_VERSION\"; expected major.minor.patch such as 1.33.1"
[[ "$KUBERNETES_BUILD_DATE" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
  fail "Packer variable kubernetes_build_date is \"$KUBERNETES_BUILD_DATE\"; expected YYYY-MM-DD"
case "$ARCH" in
  x86_64) goarch=amd64 ;;
  arm64) goarch=arm64 ;;
  *) fail "Packer variable arch is \"$ARCH\"; expected x86_64 or arm64" ;;
esac
[[ "$DOWNLOAD_TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] ||
  fail "DOWNLOAD_TIMEOUT_SECONDS is \"$DOWNLOAD_TIMEOUT_SECONDS\"; expected a positive number of seconds"
if [[ -n "$ARTIFACT_BASE_URL" ]]; then
  base_url="${ARTIFACT_BASE_URL%/}"
else
  [[ -n "$BINARY_BUCKET_NAME" ]] || fail "set the Packer variable binary_bucket_name or artifact_base_url"
  [[ -n "$BINARY_BUCKET_REGION" ]] || fail "set the Packer variable binary_bucket_region or artifact_base_url"
  base_url="https://${BINARY_BUCKET_NAME}.s3.${BINARY_BUCKET_REGION}.amazonaws.com"
fi
bucket_dir="$base_url/$KUBERNETES_VERSION/$KUBERNETES_BUILD_DATE/bin/linux/$goarch"

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT

download() {
  local url="$1" out="$2"
  # --max-time bounds each transfer; a stalled server fails the build instead of hanging it.
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 \
    --connect-timeout 10 --max-time "$DOWNLOAD_TIMEOUT_SECONDS" --output "$out" "$url" ||
    fail "download of $url failed (deadline ${DOWNLOAD_TIMEOUT_SECONDS}s per attempt)"
}

# Prints the sha256 a checksum file gives for NAME. Accepts a bare hash, "hash  name"
# (the bucket's .sha256 files) and a multi-line checksums list (GitHub releases).
expected_sha256() {
  local file="$1" name="$2" sum rest first="" found="" lines=0
  while read -r sum rest || [[ -n "$sum" ]]; do
    [[ -n "$sum" ]] || continue
    lines=$((lines + 1))
    [[ -n "$first" ]] || first="$sum"
    rest="${rest#\*}"
    if [[ "${rest##*/}" == "$name" ]]; then found="$sum"; fi
  done <"$file"
  if [[ -z "$found" && "$lines" -eq 1 ]]; then found="$first"; fi
  found="${found,,}"
  [[ "$found" =~ ^[0-9a-f]{64}$ ]] || return 1
  printf '%s\n' "$found"
}

# fetch_verified NAME URL CHECKSUM_URL: leaves a verified copy at $work/NAME.
fetch_verified() {
  local name="$1" url="$2" checksum_url="$3" expected actual
  download "$url" "$work/$name"
  download "$checksum_url" "$work/$name.sha256"
  expected="$(expected_sha256 "$work/$name.sha256" "$name")" ||
    fail "$checksum_url holds no sha256 for $name"
  actual="$(sha256sum "$work/$name" | cut -d ' ' -f 1)"
  [[ "$actual" == "$expected" ]] ||
    fail "sha256 mismatch for $name from $url: expected $expected (from $checksum_url), got $actual"
  echo "install-binaries: $name verified (sha256 $actual)"
}

fetch_verified kubelet "$bucket_dir/kubelet" "$bucket_dir/kubelet.sha256"
fetch_verified ecr-credential-provider "$bucket_dir/ecr-credential-provider" "$bucket_dir/ecr-credential-provider.sha256"
if [[ -n "$AWS_IAM_AUTHENTICATOR_VERSION" && -z "$ARTIFACT_BASE_URL" ]]; then
  [[ "$AWS_IAM_AUTHENTICATOR_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    fail "Packer variable aws_iam_authenticator_version is \"$AWS_IAM_AUTHENTICATOR_VERSION\"; expected e.g. 0.6.29"
  release="https://github.com/kubernetes-sigs/aws-iam-authenticator/releases/download/v$AWS_IAM_AUTHENTICATOR_VERSION"
  asset="aws-iam-authenticator_${AWS_IAM_AUTHENTICATOR_VERSION}_linux_${goarch}"
  download "$release/$asset" "$work/aws-iam-authenticator"
  download "$release/authenticator_${AWS_IAM_AUTHENTICATOR_VERSION}_checksums.txt" "$work/aws-iam-authenticator.sha256"
  expected="$(expected_sha256 "$work/aws-iam-authenticator.sha256" "$asset")" ||
    fail "the release checksums list holds no sha256 for $asset"
  actual="$(sha256sum "$work/aws-iam-authenticator" | cut -d ' ' -f 1)"
  [[ "$actual" == "$expected" ]] ||
    fail "sha256 mismatch for aws-iam-authenticator from $release/$asset: expected $expected, got $actual"
  echo "install-binaries: aws-iam-authenticator verified (sha256 $actual)"
else
  fetch_verified aws-iam-authenticator "$bucket_dir/aws-iam-authenticator" "$bucket_dir/aws-iam-authenticator.sha256"
fi

chmod 0755 "$work/kubelet" "$work/ecr-credential-provider" "$work/aws-iam-authenticator"
kubelet_version="$("$work/kubelet" --version | awk '{print $2}')" ||
  fail "the downloaded kubelet does not run (\`kubelet --version\` failed)"
[[ "$kubelet_version" == "v$KUBERNETES_VERSION" ]] ||
  fail "kubelet reports version \"$kubelet_version\" but Packer variable kubernetes_version is $KUBERNETES_VERSION"

declare -A destinations=(
  [kubelet]=/usr/bin/kubelet
  [ecr-credential-provider]=/etc/eks/image-credential-provider/ecr-credential-provider
  [aws-iam-authenticator]=/usr/bin/aws-iam-authenticator
)
install -d -m 0755 "$INSTALL_ROOT/etc/eks"
manifest="$INSTALL_ROOT/etc/eks/artifacts.sha256"
touch "$manifest"
for name in kubelet ecr-credential-provider aws-iam-authenticator; do
  dest="${destinations[$name]}"
  install -D -m 0755 "$work/$name" "$INSTALL_ROOT$dest"
  sum="$(sha256sum "$work/$name" | cut -d ' ' -f 1)"
  # One line per installed path, so a re-run replaces rather than duplicates.
  grep -v -F "  $dest" "$manifest" >"$work/manifest" || true
  printf '%s  %s\n' "$sum" "$dest" >>"$work/manifest"
  LC_ALL=C sort -k 2 "$work/manifest" >"$manifest"
done
printf '%s\n' "$kubelet_version" >"$INSTALL_ROOT/etc/eks/kubelet-version.txt"
echo "install-binaries: kubelet $kubelet_version, ecr-credential-provider and aws-iam-authenticator installed"
