# Kubernetes 1.33, as in the AL2023 EKS AMI release v20260714 (its release notes list
# s3://amazon-eks/1.33.13/2026-07-05/, source AMI al2023-ami-minimal-*-kernel-6.12-*, containerd
# 2.2.4, runc 1.3.5). The bucket and the AMI names cannot be listed from here: before a
# release, check the directory holds the binaries:
#   aws s3 ls s3://amazon-eks/1.33.13/2026-07-05/bin/linux/amd64/
# and bump kubernetes_version and kubernetes_build_date together.
kubernetes_version     = "1.33.13"
kubernetes_build_date  = "2026-07-05"
source_ami_filter_name = "al2023-ami-minimal-2023.*-kernel-6.12-*"
containerd_version     = "2.2.*"
runc_version           = "1.3.*"
