# One build for both sources: the same uploads and the same scripts, so the local
# qemu image proves the provisioning the AMI gets.
build {
  sources = ["source.amazon-ebs.al2023", "source.qemu.local"]

  provisioner "shell-local" {
    environment_vars = [
      "STAGING_DIR=${local.staging_directory}/${source.name}",
      "REPO_ROOT=${local.repo_root}",
      "AWS_REGION=${var.aws_region}",
      "AGENT_BINARY_PATH=${local.agent_binary_path}",
      "INSTANCE_TYPES_FILE=${var.instance_types_file}",
      "PAUSE_IMAGE_TAR=${var.pause_image_tar}",
    ]
    script = "${local.repo_root}/scripts/provision/stage-host-files.sh"
  }

  # Made by the login user, not root, so the file uploads below may write into it.
  provisioner "shell" {
    inline = ["rm -rf ${local.upload_dir} && mkdir -p ${local.upload_dir}/agent ${local.upload_dir}/rootfs"]
  }

  provisioner "file" {
    source      = local.agent_binary_path
    destination = "${local.upload_dir}/agent/eks-node-agent"
  }

  provisioner "file" {
    source      = "${local.agent_binary_path}.sha256"
    destination = "${local.upload_dir}/agent/eks-node-agent.sha256"
  }

  provisioner "file" {
    source      = "${local.repo_root}/packer/rootfs/"
    destination = "${local.upload_dir}/rootfs"
  }

  provisioner "file" {
    source      = "${local.staging_directory}/${source.name}/instance-types.jsonl"
    destination = "${local.upload_dir}/instance-types.jsonl"
    generated   = true
  }

  provisioner "file" {
    source      = "${local.staging_directory}/${source.name}/pause-image.tar"
    destination = "${local.upload_dir}/pause-image.tar"
    generated   = true
  }

  provisioner "shell" {
    # The local build records its base disk as the source image; on EC2 write-release.sh
    # asks the build instance's IMDS for the AMI it was launched from.
    environment_vars = concat(local.provision_env, ["SOURCE_IMAGE=${source.name == "local" ? local.base_image : ""}"])
    execute_command  = local.execute_command
    scripts = [
      "${local.repo_root}/scripts/provision/install-packages.sh",
      "${local.repo_root}/scripts/provision/configure-time-sync.sh",
      "${local.repo_root}/scripts/provision/configure-kernel-args.sh",
      "${local.repo_root}/scripts/provision/install-containerd.sh",
      "${local.repo_root}/scripts/provision/install-binaries.sh",
      "${local.repo_root}/scripts/provision/install-agent.sh",
      "${local.repo_root}/scripts/provision/install-rootfs.sh",
      "${local.repo_root}/scripts/provision/install-instance-types.sh",
      "${local.repo_root}/scripts/provision/cache-pause-image.sh",
      "${local.repo_root}/scripts/provision/write-release.sh",
    ]
  }

  provisioner "file" {
    direction   = "download"
    source      = "/etc/eks/version-manifest.json"
    destination = "${local.artifacts_directory}/version-manifest-${source.name}.json"
  }

  provisioner "shell" {
    environment_vars = local.provision_env
    execute_command  = local.execute_command
    scripts = [
      "${local.repo_root}/scripts/provision/cleanup.sh",
      "${local.repo_root}/scripts/provision/validate-clean.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${local.artifacts_directory}/packer-manifest.json"
    strip_path = true
    custom_data = {
      kubernetes_version    = var.kubernetes_version
      kubernetes_build_date = var.kubernetes_build_date
      arch                  = var.arch
      agent_version         = local.agent_version
      ami_name              = local.ami_name
    }
  }
}
