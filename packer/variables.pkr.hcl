# Inputs of the image. Per-Kubernetes-minor pins live in k8s-<minor>.pkrvars.hcl;
# the qemu-only inputs (base image, kernel, SSH) are at the end of this file.

variable "kubernetes_version" {
  type        = string
  description = "Full Kubernetes version of the kubelet, as in the binary bucket's layout (e.g. 1.33.1)."
  default     = "1.33.1"
  validation {
    condition     = regex_replace(var.kubernetes_version, "^(?:1\\.[0-9]+\\.[0-9]+)$", "") == ""
    error_message = "The kubernetes_version must look like 1.33.1."
  }
}

variable "kubernetes_build_date" {
  type        = string
  description = "Build date directory of the binaries in the bucket (YYYY-MM-DD), pinned per minor."
  default     = "2025-05-01"
  validation {
    condition     = regex_replace(var.kubernetes_build_date, "^(?:[0-9]{4}-[0-9]{2}-[0-9]{2})$", "") == ""
    error_message = "The kubernetes_build_date must be YYYY-MM-DD."
  }
}

variable "arch" {
  type        = string
  description = "CPU architecture of the image: x86_64 or arm64."
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.arch)
    error_message = "The arch must be x86_64 or arm64."
  }
}

variable "aws_region" {
  type        = string
  description = "Region the build instance runs in and the AMI is registered in."
  default     = "us-west-2"
  validation {
    condition     = regex_replace(var.aws_region, "^(?:[a-z]{2,4}(-[a-z]+)+-[0-9]+)$", "") == ""
    error_message = "The aws_region must be a region name such as us-west-2."
  }
}

variable "instance_type" {
  type        = string
  description = "Build instance type; empty picks m6i.large for x86_64 and m6g.large for arm64."
  default     = ""
  validation {
    condition     = var.instance_type == "" || regex_replace(var.instance_type, "^(?:[a-z0-9-]+\\.[a-z0-9-]+)$", "") == ""
    error_message = "The instance_type must be empty or an instance type such as m6i.large."
  }
}

variable "source_ami_filter_name" {
  type        = string
  description = "Name filter of the Amazon Linux 2023 minimal source AMI; the architecture is filtered separately."
  default     = "al2023-ami-minimal-2023.*-kernel-6.12-*"
  validation {
    condition     = length(var.source_ami_filter_name) > 0
    error_message = "The source_ami_filter_name must not be empty."
  }
}

variable "source_ami_owners" {
  type        = list(string)
  description = "Accounts whose AMIs the source filter may match (137112412989 publishes Amazon Linux)."
  default     = ["137112412989"]
  validation {
    condition     = length(var.source_ami_owners) > 0
    error_message = "The source_ami_owners must name at least one account."
  }
}

variable "containerd_version" {
  type        = string
  description = "containerd package version or glob (1.7.27, 1.7.*, or * for the repository's); locked after install."
  default     = "*"
  validation {
    condition     = regex_replace(var.containerd_version, "^(?:(\\*|[0-9]+(\\.[0-9]+)*(\\.\\*|\\*)?))$", "") == ""
    error_message = "The containerd_version must be a version or glob such as 1.7.27, 1.7.* or *."
  }
}

variable "runc_version" {
  type        = string
  description = "runc package version or glob (1.2.4, 1.2.*, or *); locked after install."
  default     = "*"
  validation {
    condition     = regex_replace(var.runc_version, "^(?:(\\*|[0-9]+(\\.[0-9]+)*(\\.\\*|\\*)?))$", "") == ""
    error_message = "The runc_version must be a version or glob such as 1.2.4, 1.2.* or *."
  }
}

variable "binary_bucket_name" {
  type        = string
  description = "S3 bucket holding <k8s-version>/<build-date>/bin/linux/<arch>/{kubelet,ecr-credential-provider,aws-iam-authenticator}."
  default     = "amazon-eks"
}

variable "binary_bucket_region" {
  type        = string
  description = "Region of binary_bucket_name."
  default     = "us-west-2"
}

variable "artifact_base_url" {
  type        = string
  description = "Base URL replacing https://<bucket>.s3.<region>.amazonaws.com (same layout below it); used by the local build."
  default     = ""
  validation {
    condition     = var.artifact_base_url == "" || regex_replace(var.artifact_base_url, "^(?:(https?|file)://.+)$", "") == ""
    error_message = "The artifact_base_url must be empty or an http(s):// or file:// URL."
  }
}

variable "aws_iam_authenticator_version" {
  type        = string
  description = "aws-iam-authenticator release to take from GitHub (checked against its checksums list); empty takes it from the binary bucket beside kubelet. Ignored when artifact_base_url is set."
  default     = ""
  validation {
    condition     = var.aws_iam_authenticator_version == "" || regex_replace(var.aws_iam_authenticator_version, "^(?:[0-9]+\\.[0-9]+\\.[0-9]+)$", "") == ""
    error_message = "The aws_iam_authenticator_version must be empty or a version such as 0.6.29."
  }
}

variable "pause_image" {
  type        = string
  description = "Pause (sandbox) image cached in the image; also tagged localhost/kubernetes/pause:latest."
  default     = "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.10"
  validation {
    condition     = regex_replace(var.pause_image, "^(?:[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+)$", "") == ""
    error_message = "The pause_image must be registry/repository:tag."
  }
}

variable "pause_image_tar" {
  type        = string
  description = "Host path of an image tarball holding pause_image; when set it is imported instead of pulled (offline builds)."
  default     = ""
}

variable "agent_binary_path" {
  type        = string
  description = "Host path of the eks-node-agent executable (a .sha256 must sit beside it); empty means dist/eks-node-agent-linux-<x64|arm64>."
  default     = ""
}

variable "instance_types_file" {
  type        = string
  description = "Host path of a ready instance-types.jsonl; empty generates it with scripts/gen-instance-types.ts (DescribeInstanceTypes in aws_region)."
  default     = ""
}

variable "artifacts_directory" {
  type        = string
  description = "Host directory receiving the build's version manifest and Packer manifest; empty means dist/ami."
  default     = ""
}

variable "volume_size" {
  type        = number
  description = "Root volume size in GiB."
  default     = 20
  validation {
    condition     = var.volume_size >= 8 && var.volume_size <= 16384
    error_message = "The volume_size must be between 8 and 16384 GiB."
  }
}

variable "volume_throughput" {
  type        = number
  description = "gp3 root volume throughput in MiB/s."
  default     = 125
  validation {
    condition     = var.volume_throughput >= 125 && var.volume_throughput <= 1000
    error_message = "The volume_throughput must be between 125 and 1000 MiB/s."
  }
}

variable "volume_iops" {
  type        = number
  description = "gp3 root volume IOPS."
  default     = 3000
  validation {
    condition     = var.volume_iops >= 3000 && var.volume_iops <= 16000
    error_message = "The volume_iops must be between 3000 and 16000."
  }
}

variable "encrypted" {
  type        = bool
  description = "Encrypt the root volume and the AMI's snapshot."
  default     = true
}

variable "kms_key_id" {
  type        = string
  description = "KMS key (id, ARN or alias/NAME) for the encryption in aws_region; empty uses the AWS-managed aws/ebs key, whose AMIs cannot be shared with other accounts (ami_users)."
  default     = ""
}

variable "region_kms_key_ids" {
  type        = map(string)
  description = "KMS key per region for the copies in ami_regions (region => key id, ARN or alias/NAME); a region left out gets its AWS-managed aws/ebs key."
  default     = {}
  validation {
    condition     = length([for region, key in var.region_kms_key_ids : region if regex_replace(region, "^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", "") != "" || key == ""]) == 0
    error_message = "Each key of region_kms_key_ids must be a region name such as eu-west-1 and each value a non-empty KMS key."
  }
}

variable "ami_name_prefix" {
  type        = string
  description = "AMI names are <prefix>-<k8s minor>-<arch>-v<timestamp>."
  default     = "eks-node-al2023"
  validation {
    condition     = regex_replace(var.ami_name_prefix, "^(?:[A-Za-z0-9()./_-]{3,80})$", "") == ""
    error_message = "The ami_name_prefix must be 3-80 characters of letters, digits and ()./_-."
  }
}

variable "ami_description" {
  type        = string
  description = "AMI description."
  default     = "EKS node image (Amazon Linux 2023) with eks-node-agent"
}

variable "ami_regions" {
  type        = list(string)
  description = "Further regions to copy the AMI to."
  default     = []
}

variable "ami_users" {
  type        = list(string)
  description = "Account ids allowed to launch the AMI."
  default     = []
  validation {
    condition     = length([for id in var.ami_users : id if regex_replace(id, "^[0-9]{12}$", "") != ""]) == 0
    error_message = "Each of ami_users must be a 12-digit account id."
  }
}

variable "subnet_id" {
  type        = string
  description = "Subnet of the build instance; empty uses the default VPC."
  default     = ""
}

variable "security_group_id" {
  type        = string
  description = "Security group of the build instance; empty lets Packer create a temporary one."
  default     = ""
}

variable "iam_instance_profile" {
  type        = string
  description = "Instance profile of the build instance. The default pause_image lives in the EKS account's private ECR repository: the role needs ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (AmazonEC2ContainerRegistryReadOnly), and AmazonSSMManagedInstanceCore for ssh_interface = session_manager."
  default     = ""
}

variable "ssh_interface" {
  type        = string
  description = "How Packer reaches the build instance: public_ip, private_ip, or session_manager (SSH through SSM Session Manager: no inbound rule, no public IP; needs iam_instance_profile and the session-manager-plugin on the host). Empty picks public_ip or private_ip from associate_public_ip."
  default     = ""
  validation {
    condition     = contains(["", "public_ip", "private_ip", "session_manager"], var.ssh_interface)
    error_message = "The ssh_interface must be empty, public_ip, private_ip or session_manager."
  }
}

variable "associate_public_ip" {
  type        = bool
  description = "Give the build instance a public IP (needed when Packer reaches it over the internet)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for the AMI, its snapshots and the build instance."
  default     = {}
}

# ---- qemu.local only: the local build the system test runs ----

variable "base_image" {
  type        = string
  description = "qemu: host path of the base disk image (raw or qcow2, Debian with systemd, openssh-server, containerd, runc, curl)."
  default     = ""
}

variable "kernel_path" {
  type        = string
  description = "qemu: host path of the kernel booted directly (-kernel)."
  default     = ""
}

variable "initrd_path" {
  type        = string
  description = "qemu: host path of the initrd (-initrd)."
  default     = ""
}

variable "kernel_args" {
  type        = string
  description = "Kernel arguments added to every boot entry (grubby) and GRUB_CMDLINE_LINUX. \"default\": the TSC clock source on x86_64 (clocksource=tsc tsc=reliable), none on arm64; \"\": none."
  default     = "default"
}

variable "kernel_cmdline" {
  type        = string
  description = "qemu: kernel command line (-append); the root device is the first virtio disk."
  default     = "root=/dev/vda rw console=ttyS0 net.ifnames=0"
}

variable "ssh_username" {
  type        = string
  description = "qemu: user Packer logs in as (the AWS build always uses ec2-user). Non-root users need passwordless sudo."
  default     = "root"
}

variable "ssh_password" {
  type        = string
  description = "qemu: password of ssh_username (or use ssh_private_key_file)."
  default     = ""
}

variable "ssh_private_key_file" {
  type        = string
  description = "qemu: private key for ssh_username (or use ssh_password)."
  default     = ""
}

variable "ssh_timeout" {
  type        = string
  description = "qemu: how long to wait for SSH after boot (TCG is slow)."
  default     = "10m"
}

variable "output_directory" {
  type        = string
  description = "qemu: directory for the output image; must not exist."
  default     = "output-qemu"
}

variable "vm_name" {
  type        = string
  description = "qemu: file name of the output image inside output_directory."
  default     = "eks-node.qcow2"
}

variable "qemu_binary" {
  type        = string
  description = "qemu: emulator binary."
  default     = "qemu-system-x86_64"
}

variable "qemu_memory" {
  type        = number
  description = "qemu: memory of the build VM in MiB."
  default     = 2048
}

variable "qemu_cpus" {
  type        = number
  description = "qemu: vCPUs of the build VM."
  default     = 2
}
