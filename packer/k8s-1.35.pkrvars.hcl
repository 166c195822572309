# Kubernetes 1.35. Bump kubernetes_version and kubernetes_build_date together to a
# directory that exists: aws s3 ls s3://amazon-eks/1.35 --recursive | grep bin/linux/amd64/kubelet
kubernetes_version     = "1.35.0"
kubernetes_build_date  = "2025-12-19"
source_ami_filter_name = "al2023-ami-minimal-2023.*-kernel-6.12-*"
containerd_version     = "1.7.*"
runc_version           = "1.2.*"
