#!/usr/bin/env bash
# The Amazon Linux 2 node bootstrap interface, kept so that user data written for it (the
# CloudFormation node group template, eksctl, Terraform, Karpenter's AL2 family) still joins:
#   /etc/eks/bootstrap.sh <cluster-name> [options]
# eks-node-agent translates the options into a NodeConfig, drops it into
# /etc/eks/eks-node-agent.d/ (merged after any NodeConfig in the user data) and configures and
# starts the node. It exits non-zero when the node cannot be configured, so a following
# `cfn-signal --exit-code $?` reports the failure. `eks-node-agent config from-bootstrap --
# <the same arguments>` prints the NodeConfig to migrate to.
set -o errexit -o nounset -o pipefail

exec /usr/bin/eks-node-agent bootstrap-sh -- "$@"
