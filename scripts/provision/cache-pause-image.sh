#!/usr/bin/env bash
# Puts the pause (sandbox) image into containerd's k8s.io namespace so the first pod
# needs no registry: pulled from the registry on AWS, imported from a tarball built
# offline on the local build. Pinned so the kubelet's image GC never removes it, and
# exported to /etc/eks/pause-image.tar so a node can re-import it.
set -o errexit -o nounset -o pipefail

: "${PAUSE_IMAGE:?set the Packer variable pause_image}"
: "${UPLOAD_DIR:?UPLOAD_DIR must name the directory the build uploaded files to (set by the template)}"
PAUSE_IMAGE_TAR="${PAUSE_IMAGE_TAR:-}"
PULL_TIMEOUT_SECONDS="${PULL_TIMEOUT_SECONDS:-600}"
# The fixed name the agent's containerd configuration uses as sandbox image, whatever
# registry the image came from (so the config does not depend on the region).
LOCAL_NAME="localhost/kubernetes/pause:latest"

fail() {
  echo "cache-pause-image: $*" >&2
  exit 1
}

[[ "$PAUSE_IMAGE" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$ ]] ||
  fail "Packer variable pause_image is \"$PAUSE_IMAGE\"; expected registry/repository:tag"

ctr_() { ctr --namespace k8s.io "$@"; }

systemctl start containerd.service
deadline=$((SECONDS + 60))
until ctr_ version >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "containerd did not answer \`ctr version\` within 60s of starting"
  sleep 1
done

if [[ -n "$PAUSE_IMAGE_TAR" ]]; then
  tarball="$UPLOAD_DIR/pause-image.tar"
  [[ -s "$tarball" ]] || fail "$tarball is missing: check the Packer variable pause_image_tar"
  ctr_ images import "$tarball"
  ctr_ images ls -q | grep -F -x "$PAUSE_IMAGE" >/dev/null ||
    fail "the tarball from pause_image_tar holds no image named $PAUSE_IMAGE (it holds: $(ctr_ images ls -q | tr '\n' ' '))"
else
  registry="${PAUSE_IMAGE%%/*}"
  credentials=()
  if [[ "$registry" =~ ^[0-9]+\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$ ]]; then
    # ECR needs a token; ask the credential provider the kubelet will use, with the
    # build instance's role, rather than requiring the AWS CLI on a minimal image.
    request='{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"'"$PAUSE_IMAGE"'"}'
    response="$(timeout 60 /etc/eks/image-credential-provider/ecr-credential-provider <<<"$request")" ||
      fail "ecr-credential-provider could not get a token for $registry within 60s"
    password="$(sed -n 's/.*"password":"\([^"]*\)".*/\1/p' <<<"$response")"
    [[ -n "$password" ]] || fail "ecr-credential-provider returned no password for $registry"
    credentials=(--user "AWS:$password")
  fi
  timeout "$PULL_TIMEOUT_SECONDS" ctr --namespace k8s.io images pull "${credentials[@]}" "$PAUSE_IMAGE" >/dev/null ||
    fail "pulling $PAUSE_IMAGE failed or exceeded ${PULL_TIMEOUT_SECONDS}s"
fi

if [[ "$PAUSE_IMAGE" != "$LOCAL_NAME" ]]; then
  ctr_ images tag --force "$PAUSE_IMAGE" "$LOCAL_NAME" >/dev/null
fi
for name in "$PAUSE_IMAGE" "$LOCAL_NAME"; do
  ctr_ images label "$name" io.cri-containerd.pinned=pinned >/dev/null
done
install -d -m 0755 /etc/eks
ctr_ images export /etc/eks/pause-image.tar "$LOCAL_NAME"
printf '%s\n' "$LOCAL_NAME" >/etc/eks/sandbox-image.txt

systemctl stop containerd.service
echo "cache-pause-image: $PAUSE_IMAGE cached and pinned as $LOCAL_NAME"
