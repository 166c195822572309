source "amazon-ebs" "al2023" {
  region        = var.aws_region
  instance_type = local.instance_type
  ssh_username  = "ec2-user"
  ssh_interface = var.ssh_interface != "" ? var.ssh_interface : (var.associate_public_ip ? "public_ip" : "private_ip")
  # Pulls the pause image from ECR with this role at bake time (cache-pause-image.sh).
  iam_instance_profile = var.iam_instance_profile

  source_ami_filter {
    filters = {
      name                = var.source_ami_filter_name
      architecture        = var.arch
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = var.source_ami_owners
    most_recent = true
  }

  subnet_id                   = var.subnet_id
  security_group_id           = var.security_group_id
  associate_public_ip_address = var.associate_public_ip

  # IMDSv2 only; hop limit 2 so containers on the build instance (and on nodes that
  # keep the launch default) can still reach it through one bridge hop.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
  imds_support = "v2.0"

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_type           = "gp3"
    volume_size           = var.volume_size
    throughput            = var.volume_throughput
    iops                  = var.volume_iops
    encrypted             = var.encrypted
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }

  ami_name           = local.ami_name
  ami_description    = var.ami_description
  ami_regions        = var.ami_regions
  ami_users          = var.ami_users
  ena_support        = true
  sriov_support      = true
  encrypt_boot       = var.encrypted
  kms_key_id         = var.kms_key_id
  region_kms_key_ids = var.region_kms_key_ids

  tags            = merge(local.tags, { Name = local.ami_name, "eks-node:source-ami" = "{{ .SourceAMI }}", "eks-node:source-ami-name" = "{{ .SourceAMIName }}" })
  snapshot_tags   = merge(local.tags, { Name = local.ami_name })
  run_tags        = merge(local.tags, { Name = "packer ${local.ami_name}" })
  run_volume_tags = merge(local.tags, { Name = "packer ${local.ami_name}" })
}
