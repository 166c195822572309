locals {
  kubernetes_minor = regex_replace(var.kubernetes_version, "^([0-9]+[.][0-9]+)[.].*$", "$1")
  build_timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  ami_name         = "${var.ami_name_prefix}-${local.kubernetes_minor}-${var.arch}-v${local.build_timestamp}"
  instance_type    = var.instance_type != "" ? var.instance_type : (var.arch == "arm64" ? "m6g.large" : "m6i.large")

  repo_root           = abspath("${path.root}/..")
  agent_version       = jsondecode(file("${local.repo_root}/package.json")).version
  agent_binary_wanted = var.agent_binary_path != "" ? var.agent_binary_path : "${local.repo_root}/dist/eks-node-agent-linux-${var.arch == "arm64" ? "arm64" : "x64"}"
  # Packer's own message for a missing upload names neither the cause nor the fix; reading
  # a "file" whose name is the message makes validate and build stop with both.
  agent_binary_path   = fileexists(local.agent_binary_wanted) && fileexists("${local.agent_binary_wanted}.sha256") ? local.agent_binary_wanted : file("${local.agent_binary_wanted} or its .sha256 is missing: build the agent with `npm ci && npm run build:exe` in ${local.repo_root}, or set agent_binary_path")
  artifacts_directory = var.artifacts_directory != "" ? var.artifacts_directory : "${local.repo_root}/dist/ami"
  # An AMI encrypted with the AWS-managed aws/ebs key cannot be shared: stop before the
  # build rather than after an hour with an AMI nobody in ami_users can launch.
  sharing_check = length(var.ami_users) > 0 && var.encrypted && var.kms_key_id == "" ? file("ami_users needs kms_key_id (a customer-managed KMS key the accounts in ami_users may use): an AMI encrypted with the AWS-managed aws/ebs key cannot be shared") : ""

  # qemu only. Defaults that name files instead of empty strings, so validating the
  # template for the AWS build needs none of the local build's inputs.
  base_image = var.base_image != "" ? var.base_image : "${local.repo_root}/.cache/qemu-base/disk.qcow2"

  # Files the host prepares for upload (the instance-type table), one directory per build.
  staging_directory = "${local.repo_root}/.cache/packer-staging"

  # Where the file provisioner puts everything on the machine; scripts read UPLOAD_DIR.
  upload_dir = "/tmp/eks-node"

  tags = merge(var.tags, {
    "eks-node:kubernetes-version"    = var.kubernetes_version
    "eks-node:kubernetes-build-date" = var.kubernetes_build_date
    "eks-node:containerd-version"    = var.containerd_version
    "eks-node:agent-version"         = local.agent_version
    "eks-node:arch"                  = var.arch
    "eks-node:build-timestamp"       = local.build_timestamp
  })

  # The TSC clock source on x86_64 unless told otherwise (arm64 has none).
  kernel_args = var.kernel_args != "default" ? var.kernel_args : (var.arch == "x86_64" ? "clocksource=tsc tsc=reliable" : "")

  # Environment every provisioning script receives (each checks what it needs).
  provision_env = [
    "UPLOAD_DIR=${local.upload_dir}",
    "KUBERNETES_VERSION=${var.kubernetes_version}",
    "KUBERNETES_BUILD_DATE=${var.kubernetes_build_date}",
    "ARCH=${var.arch}",
    "CONTAINERD_VERSION=${var.containerd_version}",
    "RUNC_VERSION=${var.runc_version}",
    "BINARY_BUCKET_NAME=${var.binary_bucket_name}",
    "BINARY_BUCKET_REGION=${var.binary_bucket_region}",
    "ARTIFACT_BASE_URL=${var.artifact_base_url}",
    "AWS_IAM_AUTHENTICATOR_VERSION=${var.aws_iam_authenticator_version}",
    "PAUSE_IMAGE=${var.pause_image}",
    "PAUSE_IMAGE_TAR=${var.pause_image_tar}",
    "AGENT_VERSION=${local.agent_version}",
    "BUILD_TIMESTAMP=${local.build_timestamp}",
    "KERNEL_ARGS=${local.kernel_args}",
  ]
  # AL2023 logs in as ec2-user and needs sudo; the local Debian base logs in as root
  # and may have no sudo at all.
  execute_command = "chmod +x {{ .Path }}; if [ \"$(id -u)\" -eq 0 ]; then {{ .Vars }} {{ .Path }}; else sudo -E env {{ .Vars }} {{ .Path }}; fi"
}
