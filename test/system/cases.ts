/**
 * The proof-of-join cases: user data a node gets, what the cloud around it does, and what the
 * harness expects. Addresses are the guest's view (QEMU guestfwd targets in 169.254.0.0/16).
 */

export const GUEST = {
  imds: '169.254.169.254',
  apiServer: '169.254.170.10',
  eks: '169.254.170.11',
  ec2: '169.254.170.12',
  sts: '169.254.170.13',
} as const;

export const CLUSTER_NAME = 'system-test';
export const SERVICE_CIDR = '10.100.0.0/16';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface CaseCluster {
  endpoint: string;
  caBase64: string;
}

export interface SystemCase {
  name: string;
  /** the user data blob IMDS serves */
  userData(cluster: CaseCluster): string;
  /** how many eks:DescribeCluster calls the node may make (complete user data: none) */
  describeClusterCalls: number;
  /** the node joins, or its config phase fails naming `failField` */
  expect: 'join' | 'fail';
  failField?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** IMDS refuses connections for this long after the node first asks */
  imdsDelayMs?: number;
  /** after joining, reboot and check the node comes back without AWS calls */
  reboot?: boolean;
  /** check the image's host settings, and boot with a second NIC and hot-plug a third */
  imageParity?: boolean;
}

const completeCluster = (c: CaseCluster) => `  cluster:
    name: ${CLUSTER_NAME}
    apiServerEndpoint: ${c.endpoint}
    certificateAuthority: ${c.caBase64}
    cidr: ${SERVICE_CIDR}
`;

const nodeConfig = (spec: string) => `apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
${spec}`;

export const CASES: SystemCase[] = [
  {
    name: 'complete',
    describeClusterCalls: 0,
    expect: 'join',
    imageParity: true,
    labels: { team: 'platform' },
    userData: (c) =>
      nodeConfig(`${completeCluster(c)}  kubelet:
    config:
      shutdownGracePeriod: 30s
    flags:
      - --node-labels=team=platform
`),
  },
  {
    name: 'name-only+reboot',
    describeClusterCalls: 1,
    expect: 'join',
    reboot: true,
    userData: () =>
      nodeConfig(`  cluster:
    name: ${CLUSTER_NAME}
`),
  },
  {
    name: 'karpenter-mime',
    describeClusterCalls: 0,
    expect: 'join',
    labels: { 'karpenter.sh/capacity-type': 'on-demand', 'karpenter.sh/nodepool': 'default' },
    taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
    userData: (c) => `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo "hello from a user-data script"

--//
Content-Type: application/node.eks.aws

${nodeConfig(`${completeCluster(c)}  kubelet:
    config:
      maxPods: 58
      registerWithTaints:
        - key: dedicated
          value: batch
          effect: NoSchedule
    flags:
      - --node-labels=karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default
`)}
--//--
`,
  },
  {
    name: 'imds-late',
    describeClusterCalls: 0,
    expect: 'join',
    imdsDelayMs: 20_000,
    userData: (c) => nodeConfig(completeCluster(c)),
  },
  {
    name: 'bad-user-data',
    describeClusterCalls: 0,
    expect: 'fail',
    failField: 'spec.cluster.cidr',
    userData: (c) =>
      nodeConfig(`  cluster:
    name: ${CLUSTER_NAME}
    apiServerEndpoint: ${c.endpoint}
    certificateAuthority: ${c.caBase64}
    cidr: 10.100.0/16
`),
  },
];
