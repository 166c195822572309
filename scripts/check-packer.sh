#!/usr/bin/env bash
# CI check of the Packer template with the Packer that is installed (Debian's 1.6.6):
#  1. `packer fmt -check` over every HCL file under packer/;
#  2. `packer validate` of both sources with the defaults and with each k8s-*.pkrvars.hcl;
#  3. each validation block rejects a bad value;
#  4. `packer validate -var-file=packer/k8s-1.33.pkrvars.hcl packer/` as a user types it (no
#     qemu inputs) passes, and names `npm run build:exe` when the agent is not built.
# 1.6.6 knows neither `required_plugins` (so plugins.pkr.hcl is left out of validation)
# nor the amazon plugin's IMDS settings (so those two settings are removed from the
# validated copy, after checking they are present in the real file).
set -o errexit -o nounset -o pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
packer_dir="$repo/packer"
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
# Packer 1.6.6 writes a checkpoint cache and may phone home; keep both out of CI.
export CHECKPOINT_DISABLE=1 PACKER_CACHE_DIR="$work/cache" HOME="${HOME:-$work}"

fail() {
  echo "check-packer: $*" >&2
  exit 1
}

# 1. Formatting. -recursive arrived after 1.6.6; without it, check each directory.
if packer fmt -h 2>&1 | grep -q -- '-recursive'; then
  packer fmt -check -recursive "$packer_dir" || fail "packer fmt -check -recursive packer/ failed: run packer fmt -recursive packer/"
else
  while IFS= read -r dir; do
    packer fmt -check "$dir" || fail "packer fmt -check $dir failed: run packer fmt on it"
  done < <(find "$packer_dir" -name '*.pkr*.hcl' -printf '%h\n' | sort -u)
fi
echo "check-packer: formatting ok"

# 2. Validation on a copy laid out like the repository (the template finds
# ../package.json and ../scripts relative to itself).
amazon="$packer_dir/source-amazon-ebs.pkr.hcl"
for setting in 'http_tokens *= *"required"' 'http_put_response_hop_limit *= *2' 'imds_support *= *"v2.0"'; do
  grep -E -q "$setting" "$amazon" || fail "$amazon lost its IMDSv2 setting matching /$setting/"
done
mkdir -p "$work/repo/packer"
ln -s "$repo/scripts" "$work/repo/scripts"
ln -s "$repo/package.json" "$work/repo/package.json"
ln -s "$packer_dir/rootfs" "$work/repo/packer/rootfs"
for file in "$packer_dir"/*.pkr.hcl; do
  [[ "${file##*/}" == plugins.pkr.hcl ]] && continue
  cp -- "$file" "$work/repo/packer/"
done
cp -- "$packer_dir"/k8s-*.pkrvars.hcl "$work/repo/packer/"
# Drop the metadata_options block and imds_support: amazon plugin >= 1.0 settings.
sed -i -e '/^  metadata_options {/,/^  }/d' -e '/^  imds_support /d' "$work/repo/packer/source-amazon-ebs.pkr.hcl"

# The qemu source needs files to exist; the validation only needs them to be files.
touch "$work/base.img" "$work/vmlinuz" "$work/initrd.img" "$work/agent" "$work/agent.sha256"
local_vars=(
  -var "base_image=$work/base.img" -var "kernel_path=$work/vmlinuz" -var "initrd_path=$work/initrd.img"
  -var "ssh_password=validate" -var "agent_binary_path=$work/agent"
)

validate() {
  local label="$1"
  shift
  local output
  if ! output="$(cd "$work" && packer validate "$@" "${local_vars[@]}" repo/packer 2>&1)"; then
    printf '%s\n' "$output" >&2
    fail "packer validate ($label) failed"
  fi
  echo "check-packer: packer validate ($label) ok"
}

validate "defaults"
for vars in "$packer_dir"/k8s-*.pkrvars.hcl; do
  validate "${vars##*/}" -var-file="$vars"
done

# 3. The validation blocks must reject bad values (a block that accepts anything is a bug).
rejects=(
  "arch=sparc"
  "kubernetes_version=1.33"
  "kubernetes_build_date=May-2025"
  "containerd_version=latest"
  "volume_iops=100"
  "pause_image=pause"
  "ami_name_prefix=x"
  "artifact_base_url=ftp://example"
  "ssh_interface=ssm"
  'region_kms_key_ids={"eu-west-1"=""}'
  'ami_users=["111122223333"]'
  "aws_region=us_west_2"
  "aws_region=useast-1"
)
for assignment in "${rejects[@]}"; do
  if (cd "$work" && packer validate -var "$assignment" "${local_vars[@]}" repo/packer >/dev/null 2>&1); then
    fail "packer validate accepted -var $assignment; its validation block does not reject it"
  fi
done
echo "check-packer: validation blocks reject ${#rejects[@]} bad values"

# ... and accept every region name form: the European Sovereign Cloud's and the isolated
# partitions' names have more than two letters before the first dash.
accepts=(
  "aws_region=eusc-de-east-1"
  "aws_region=us-isob-east-1"
  "aws_region=ap-southeast-7"
)
for assignment in "${accepts[@]}"; do
  if ! output="$(cd "$work" && packer validate -var "$assignment" "${local_vars[@]}" repo/packer 2>&1)"; then
    printf '%s\n' "$output" >&2
    fail "packer validate refused -var $assignment, a valid value"
  fi
done
echo "check-packer: validation blocks accept ${#accepts[@]} good values"

# 4. As a user types it: no qemu inputs, the agent at its default path under dist/.
mkdir -p "$work/repo/dist"
as_typed() { (cd "$work/repo" && packer validate -var-file=packer/k8s-1.33.pkrvars.hcl packer/ 2>&1); }
if output="$(as_typed)"; then
  fail "packer validate passed without dist/eks-node-agent-linux-x64; it must say how to build the agent"
fi
grep -q 'npm run build:exe' <<<"$output" || { printf '%s\n' "$output" >&2; fail "a missing agent is not reported with the command that builds it"; }
touch "$work/repo/dist/eks-node-agent-linux-x64" "$work/repo/dist/eks-node-agent-linux-x64.sha256"
output="$(as_typed)" || { printf '%s\n' "$output" >&2; fail "packer validate -var-file=packer/k8s-1.33.pkrvars.hcl packer/ (as a user types it) failed"; }
echo "check-packer: packer validate as typed ok; a missing agent names npm run build:exe"
