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

import { sampleUserData } from '../support/cloudformation.js';

export const CLUSTER_NAME = 'system-test';
/** What both agent units read, in order (packer/rootfs units' -c options). */
export const BOOT_SOURCES = '-c imds://user-data -c file:///etc/eks/nodeadm.d/ -c file:///etc/eks/eks-node-agent.d/';
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
  /**
   * the node joins; or its config phase fails naming `failField`; or (classic user data) the
   * user-data script's /etc/eks/bootstrap.sh fails naming `failField` and nothing starts
   */
  expect: 'join' | 'fail' | 'bootstrap-fail';
  failField?: string;
  /** a file a user-data shell part creates (cloud-init ran it) */
  marker?: string;
  /** the kubelet configuration's maxPods */
  maxPods?: number;
  /**
   * kubelet flags in the user data that the kubelet no longer has: the agent must leave them out
   * of the kubelet's arguments (the double refuses them, as the kubelet does) and warn about each
   */
  removedFlags?: string[];
  /** the exit code the cfn-signal double recorded: 0, or any other */
  cfnSignal?: 'zero' | 'non-zero';
  labels?: Record<string, string>;
  taints?: Taint[];
  /** IMDS refuses connections for this long after the node first asks */
  imdsDelayMs?: number;
  /** after joining, reboot and check the node comes back without AWS calls */
  reboot?: boolean;
  /** blank NVMe disks the VM gets, named as instance store by the test base's udev rule; 0: local storage asked, no disks */
  instanceStoreDisks?: number;
  /** check the image's host settings, and boot with a second NIC and hot-plug a third */
  imageParity?: boolean;
  /**
   * the config phase starts containerd and the kubelet itself (after local storage, if asked):
   * the user data is only NodeConfig, so nothing can run between the phases
   */
  earlyStart?: boolean;
  /**
   * the user data sets spec.instance.environment (every service's and containerd's): doctor's
   * environment line must find this many variables where the user data puts them (with
   * passedToKubelet, the one it names instead, the others where the user data puts them)
   */
  environmentVariables?: number;
  /**
   * a variable PID 1 gets from the kernel command line (a bare NAME=value word, as an image's
   * boot loader could carry one), which the user-data script's kubelet drop-in passes with
   * PassEnvironment= over the user data's every-service value: the kubelet's process must hold
   * PID 1's value, and doctor's environment line must say so, naming PassEnvironment=
   */
  passedToKubelet?: { name: string; value: string };
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

const localStorage = (c: CaseCluster) =>
  nodeConfig(`${completeCluster(c)}  instance:
    localStorage:
      strategy: RAID0
`);

export const CASES: SystemCase[] = [
  {
    name: 'complete',
    describeClusterCalls: 0,
    expect: 'join',
    earlyStart: true,
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
    earlyStart: true,
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
    labels: { 'karpenter.sh/capacity-type': 'on-demand', 'karpenter.sh/nodepool': 'default', 'dropped-in-by': 'user-data-script' },
    marker: '/var/lib/system-test/user-data-script-ran',
    taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
    // every service's variable (DefaultEnvironment=, systemd re-executed by the run phase before
    // it starts containerd) and containerd's own drop-in: containerd gets 2, the kubelet 1
    environmentVariables: 3,
    passedToKubelet: { name: 'EKS_NODE_TEST_EVERY_SERVICE', value: 'from-the-kernel-command-line' },
    userData: (c) => `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# cloud-init runs this between the agent's config and run units: the run unit re-reads the
# drop-in directory and registers the node with the label added here.
mkdir -p /etc/eks/nodeadm.d /var/lib/system-test
cat > /etc/eks/nodeadm.d/50-from-script.yaml <<'EOF'
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    flags:
      - --node-labels=dropped-in-by=user-data-script
EOF
echo "hello from a user-data script" > /var/lib/system-test/user-data-script-ran
# as an image could: the kubelet takes this variable from PID 1 (the kernel command line)
mkdir -p /etc/systemd/system/kubelet.service.d
printf '[Service]\\nPassEnvironment=EKS_NODE_TEST_EVERY_SERVICE\\n' > /etc/systemd/system/kubelet.service.d/60-system-test-pass.conf

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
  instance:
    environment:
      default:
        EKS_NODE_TEST_EVERY_SERVICE: "set for every service"
      containerd:
        EKS_NODE_TEST_CONTAINERD: containerd-only
`)}
--//--
`,
  },
  {
    name: 'imds-late',
    describeClusterCalls: 0,
    expect: 'join',
    earlyStart: true,
    imdsDelayMs: 20_000,
    userData: (c) => nodeConfig(completeCluster(c)),
  },
  {
    // The classic node group template's user data: bootstrap.sh with the cluster name only,
    // then cfn-signal with its exit code. Its kubelet arguments carry two flags of the
    // dockershim era that no kubelet the image runs still has.
    name: 'cloudformation-bootstrap',
    describeClusterCalls: 1,
    expect: 'join',
    labels: { nodegroup: 'classic' },
    maxPods: 17,
    cfnSignal: 'zero',
    removedFlags: ['--container-runtime', '--network-plugin'],
    userData: () =>
      sampleUserData({
        ClusterName: CLUSTER_NAME,
        BootstrapArguments: `--kubelet-extra-args '--node-labels=nodegroup=classic --max-pods=17 --container-runtime=remote --network-plugin=cni'`,
      }),
  },
  {
    name: 'cloudformation-bad-args',
    describeClusterCalls: 0,
    expect: 'bootstrap-fail',
    failField: '--ip-family',
    cfnSignal: 'non-zero',
    userData: () => sampleUserData({ ClusterName: CLUSTER_NAME, BootstrapArguments: '--ip-family ipv5' }),
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
  {
    // Two disks: the array, the bind mounts and containerd writing there; the reboot proves
    // the array and mounts come back from /etc/fstab and nothing is rebuilt.
    name: 'local-storage-raid0',
    describeClusterCalls: 0,
    expect: 'join',
    earlyStart: true,
    reboot: true,
    instanceStoreDisks: 2,
    userData: localStorage,
  },
  {
    // What Karpenter does on every instance type of a NodePool: RAID0 asked, no disks there.
    name: 'local-storage-none',
    describeClusterCalls: 0,
    expect: 'join',
    earlyStart: true,
    instanceStoreDisks: 0,
    userData: localStorage,
  },
];
