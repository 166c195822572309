import type { PodObject } from './api-objects.js';
import { secondsSince } from './node-status.js';

/**
 * Why pods on a Ready node stay in ContainerCreating: before a pod's containers start the kubelet
 * mounts its volumes and has the runtime create its sandbox, whose network the CNI plugin sets up.
 * The pod only shows "ContainerCreating"; the kubelet's journal holds the answer. Most often the
 * CNI had no address to give, and then the VPC CNI's IP address manager's log
 * (`/var/log/aws-routed-eni/ipamd.log`) says why: the subnet is out of addresses, the node's network
 * interfaces are full, or EC2 refused the CNI's calls. Each has a different fix, and none is on the
 * node itself. A volume that does not attach or mount keeps a pod there too.
 */

export interface StuckPod {
  pod: string;
  /** seconds since the pod was bound to the node (status.startTime), else since it was created */
  ageSeconds: number;
}

/** A pod waits longer than this before its containers start before the check calls it stuck. */
export const STUCK_AFTER_SECONDS = 60;

/**
 * The pods on this node whose containers have not started past STUCK_AFTER_SECONDS for want of
 * their volumes or sandbox: Pending with the sandbox condition (PodReadyToStartContainers,
 * Kubernetes 1.29 and later) false, or, where the kubelet reports no such condition, a container
 * waiting in ContainerCreating. A pod whose sandbox is ready is pulling its images, not stuck
 * here. Oldest first.
 */
export function stuckPods(pods: PodObject[], now: Date): StuckPod[] {
  const stuck: StuckPod[] = [];
  for (const pod of pods) {
    if (pod.status?.phase !== 'Pending') continue;
    const sandbox = (pod.status.conditions ?? []).find((c) => c.type === 'PodReadyToStartContainers');
    const creating = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].some(
      (c) => c.state?.waiting?.reason === 'ContainerCreating' || c.state?.waiting?.reason === 'PodInitializing',
    );
    if (sandbox ? sandbox.status !== 'False' : !creating) continue;
    const ageSeconds = secondsSince(pod.status.startTime ?? pod.metadata?.creationTimestamp, now);
    if (ageSeconds === undefined || ageSeconds < STUCK_AFTER_SECONDS) continue;
    stuck.push({ pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`, ageSeconds });
  }
  return stuck.sort((a, b) => b.ageSeconds - a.ageSeconds || a.pod.localeCompare(b.pod));
}

/** Container states of a pod that will not become ready by waiting. */
const FAILING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'InvalidImageName',
]);

export interface FailingAgent {
  /** namespace/name */
  pod: string;
  /** the DaemonSet that owns it (aws-node, kube-proxy, a CSI node driver, ...), or `coredns` */
  component: string;
  container: string;
  reason: string;
  restarts: number;
}

/**
 * The cluster's DNS pod, by the label its Service selects (k8s-app=kube-dns: the EKS add-on's and
 * kubeadm's CoreDNS, and kube-dns before it), or by a ReplicaSet named as the add-on's Deployment
 * when its labels were changed.
 */
function isClusterDns(pod: PodObject): boolean {
  return (
    pod.metadata?.labels?.['k8s-app'] === 'kube-dns' ||
    (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'ReplicaSet' && o.name?.startsWith('coredns-') === true)
  );
}

/**
 * The node's own agents that fail: pods a DaemonSet put on this node (the CNI, kube-proxy, CSI
 * node drivers) with a container that crash-loops or cannot get its image. Without them the node
 * is Ready and yet runs nothing right: no pod addresses without aws-node, no Services without
 * kube-proxy. CoreDNS too, a Deployment's pod but the cluster's DNS, which crash-loops on a node
 * whose resolv.conf it cannot forward to (the pod-dns line). One per pod, its first failing
 * container (init containers first).
 */
export function failingNodeAgents(pods: PodObject[]): FailingAgent[] {
  const out: FailingAgent[] = [];
  for (const pod of pods) {
    const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet');
    const coredns = pod.metadata?.namespace === 'kube-system' && isClusterDns(pod);
    if ((!owner && !coredns) || pod.status?.phase === 'Succeeded') continue;
    const bad = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
      (c) => c.ready !== true && FAILING.has(c.state?.waiting?.reason ?? ''),
    );
    if (!bad) continue;
    out.push({
      pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`,
      component: owner ? (owner.name ?? '?') : 'coredns',
      container: bad.name ?? '?',
      reason: bad.state!.waiting!.reason!,
      restarts: bad.restartCount ?? 0,
    });
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

/** What to look at for a failing node agent, by what it is. */
export function agentHint(agent: FailingAgent): string {
  const [namespace, name] = agent.pod.split('/');
  if (agent.reason === 'ErrImagePull' || agent.reason === 'ImagePullBackOff') {
    return `${agent.pod} cannot get the image of ${agent.container} (${agent.reason}): the registry line dials the registry of the kubelet's failed pull as containerd does; \`kubectl -n ${namespace} describe pod ${name}\` names the image and the registry's answer`;
  }
  if (agent.reason !== 'CrashLoopBackOff') {
    return `${agent.pod} cannot start ${agent.container} (${agent.reason}): \`kubectl -n ${namespace} describe pod ${name}\` names the image or the missing ConfigMap or Secret`;
  }
  const logs = `\`kubectl -n ${namespace} logs ${name} -c ${agent.container} --previous\``;
  if (agent.component === 'aws-node') {
    return `aws-node restarts when ipamd cannot reach the API server through the cluster's service address (kube-proxy not yet running on this node, or the cluster security group) or EC2 refuses its calls; ${logs} and ${IPAMD_LOG} say which`;
  }
  if (agent.component === 'coredns') {
    return `CoreDNS exits with "Loop ... detected" when the resolv.conf the kubelet hands it lists a loopback resolver (see the pod-dns line), and cannot start without reaching the API server through the cluster's service address; ${logs} says which`;
  }
  if (agent.component === 'kube-proxy') {
    return `kube-proxy restarts, so this node's pods cannot reach Services: ${logs} (often a kube-proxy add-on version the cluster's Kubernetes version does not take)`;
  }
  return `${logs} says why it exits`;
}

export type SandboxCause = 'no address' | 'ipamd down' | 'plugin missing' | 'sandbox image' | 'volume' | 'other';

export interface SandboxFailure {
  /** namespace/name, when the line names the pod */
  pod?: string;
  cause: SandboxCause;
  /** the runtime's answer, as the line says it */
  reason: string;
  /** the CNI plugin binary libcni could not find (cause `plugin missing`) */
  plugin?: string;
}

// klog quotes the runtime's error once in a runtime line, twice or three times in a pod worker's
const unquoted = (line: string): string => line.replace(/\\+"/g, '"');

/** The kubelet's lines for a pod whose volumes it cannot attach or mount (it retries, the pod waits). */
const VOLUME_LINE =
  /Unable to attach or mount volumes|unmounted volumes=\[|MountVolume\.(?:SetUp|MountDevice|WaitForAttach) failed|AttachVolume\.Attach failed/i;

function causeOf(text: string): SandboxCause {
  if (VOLUME_LINE.test(text)) return 'volume';
  if (/failed to assign an IP address to container/i.test(text)) return 'no address';
  if (/Error received from AddNetwork gRPC call|127\.0\.0\.1:50051|ipamd/i.test(text) && /connection refused|Unavailable|connection error/i.test(text)) {
    return 'ipamd down';
  }
  if (/failed to find plugin "[^"]+" in path/i.test(text)) return 'plugin missing';
  if (/failed to get sandbox image|sandbox image/i.test(text)) return 'sandbox image';
  return 'other';
}

/** The runtime's answer: from the first "desc = " (what containerd said) to the line's error end. */
function reasonOf(text: string): string {
  const err = /err="(.*?)"(?: pod=| podUID=|$)/.exec(text)?.[1] ?? text;
  const desc = err.lastIndexOf('desc = ');
  const answer = (desc >= 0 ? err.slice(desc + 'desc = '.length) : err).replace(/^"+|"+$/g, '').trim();
  return answer.length > 240 ? `${answer.slice(0, 239)}…` : answer;
}

const SANDBOX_LINE = /CreatePodSandbox|RunPodSandbox from runtime service failed|Failed to create sandbox for pod|failed to setup network for sandbox/i;

/** What keeps pods from starting in the kubelet's journal lines (volumes, sandboxes), the last per pod, newest first. */
export function sandboxFailures(lines: string[]): SandboxFailure[] {
  const seen = new Map<string, SandboxFailure>();
  for (const raw of [...lines].reverse()) {
    if (!SANDBOX_LINE.test(raw) && !VOLUME_LINE.test(raw)) continue;
    const text = unquoted(raw);
    const pod = /\bpod="([^"]+)"/.exec(raw)?.[1];
    const key = pod ?? `line:${seen.size}`;
    if (seen.has(key)) continue;
    const cause = causeOf(text);
    const plugin = cause === 'plugin missing' ? /failed to find plugin "([^"]+)"/i.exec(text)?.[1] : undefined;
    seen.set(key, { ...(pod ? { pod } : {}), cause, reason: reasonOf(text), ...(plugin ? { plugin } : {}) });
  }
  return [...seen.values()];
}

/** Where the VPC CNI's IP address manager logs, and how much of its end the check reads. */
export const IPAMD_LOG = '/var/log/aws-routed-eni/ipamd.log';
export const IPAMD_TAIL_BYTES = 512 * 1024;
/** The VPC CNI plugin's own log (each ADD and DEL the runtime asked for), which the bundle carries beside ipamd's. */
export const CNI_PLUGIN_LOG = '/var/log/aws-routed-eni/plugin.log';

export type IpamdCause = 'subnet full' | 'ec2 refused' | 'interfaces full';

export interface IpamdEvidence {
  cause: IpamdCause;
  /** what ipamd logged, shortened */
  message: string;
}

interface IpamdLine {
  level?: unknown;
  msg?: unknown;
}

const shorten = (msg: string): string => {
  const one = msg
    .replace(/\\n\\t|\n\t?/g, ' ')
    .replace(/\s*status code: \d+, request id: [\w-]+/i, '')
    .trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
};

/**
 * What ipamd's log (JSON lines) says about why it had no address to give, newest first: the
 * subnet out of addresses (or, with prefix delegation, of free /28 blocks), EC2 refusing the CNI's
 * calls, or the pool full (every address the node's interfaces hold is assigned). Undefined when
 * the log's end shows none of them.
 */
export function ipamdEvidence(text: string): IpamdEvidence | undefined {
  const lines = text.split('\n').reverse();
  for (const raw of lines) {
    let line: IpamdLine | null;
    try {
      line = JSON.parse(raw) as IpamdLine | null;
    } catch {
      continue;
    }
    // a line of a damaged log that is JSON of another shape says nothing of ipamd's
    const msg = line?.msg;
    if (typeof msg !== 'string') continue;
    if (/InsufficientFreeAddressesInSubnet|InsufficientCidrBlocks/.test(msg)) return { cause: 'subnet full', message: shorten(msg) };
    if (/UnauthorizedOperation|AccessDenied|not authorized to perform|AuthFailure/.test(msg)) return { cause: 'ec2 refused', message: shorten(msg) };
    if (/AttachmentLimitExceeded|NetworkInterfaceLimitExceeded|PrivateIpAddressLimitExceeded/.test(msg))
      return { cause: 'interfaces full', message: shorten(msg) };
    const pool = /IP pool stats: total = (\d+), used = (\d+)/i.exec(msg) ?? /Total IPs\/Prefixes = (\d+)\/\d+, AssignedIPs\/CooldownIPs: (\d+)\//i.exec(msg);
    if (pool) {
      const [total, used] = [Number(pool[1]), Number(pool[2])];
      // the newest pool line decides: a pool with room means the failures above are older
      if (used < total) return undefined;
      return { cause: 'interfaces full', message: `all ${total} addresses of the node's pool assigned` };
    }
  }
  return undefined;
}

/**
 * Whether the VPC CNI on this node hands out /28 prefixes: the ENABLE_PREFIX_DELEGATION of the
 * aws-node pod bound to it (the node may read its own pods' specs). Undefined when no aws-node pod
 * is there (another CNI) or the value comes from elsewhere (a ConfigMap).
 */
export function prefixDelegation(pods: PodObject[]): boolean | undefined {
  const pod = pods.find((p) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === 'aws-node'));
  const container = pod?.spec?.containers?.find((c) => c.name === 'aws-node');
  if (!container) return undefined;
  const variable = container.env?.find((e) => e.name === 'ENABLE_PREFIX_DELEGATION');
  if (!variable) return false; // the CNI's default
  return variable.value === undefined ? undefined : variable.value.trim().toLowerCase() === 'true';
}

/** The Node's maxPods beside what its instance type's ENIs can address, with prefix delegation as the CNI runs. */
export interface PodCapacity {
  maxPods: number;
  instanceType: string;
  /** the ENI formula without prefixes */
  formula: number;
  /** with /28 prefixes, when the CNI delegates them */
  prefixFormula?: number;
}

/** The fix, by the kubelet's answer and, for a missing address, by what ipamd said. */
export function sandboxHint(failure: SandboxFailure, ipamd: IpamdEvidence | undefined, capacity?: PodCapacity): string {
  switch (failure.cause) {
    case 'no address':
      switch (ipamd?.cause) {
        case 'subnet full':
          return "the node's subnet has no free IP addresses left: add subnets (or a secondary VPC CIDR with custom networking), or lower WARM_IP_TARGET/WARM_ENI_TARGET on the aws-node DaemonSet so nodes hold fewer idle addresses";
        case 'ec2 refused':
          return "EC2 refused the VPC CNI's calls: the role aws-node runs with (its IRSA or Pod Identity role, else the node role) needs the AmazonEKS_CNI_Policy managed policy (AmazonEKS_CNI_IPv6_Policy on an IPv6 cluster)";
        case 'interfaces full':
          if (capacity?.prefixFormula !== undefined) {
            return capacity.maxPods > capacity.prefixFormula
              ? `every address this node's network interfaces can hold is in use: the Node takes ${capacity.maxPods} pods, more than the ${capacity.prefixFormula} a ${capacity.instanceType}'s ENIs can address with /28 prefixes (prefix delegation is on); lower maxPods (spec.kubelet.config.maxPods or maxPodsExpression)`
              : `the node's address pool is used up though prefix delegation is on and a ${capacity.instanceType}'s ENIs can take more prefixes (${capacity.prefixFormula} addresses for ${capacity.maxPods} pods): ipamd could not add a /28, most often because the subnet has no free contiguous /28 block left (InsufficientCidrBlocks in ${IPAMD_LOG}; a subnet CIDR reservation for prefixes keeps them free), or WARM_PREFIX_TARGET/WARM_IP_TARGET on aws-node keep it from asking early enough`;
          }
          return capacity && capacity.maxPods > capacity.formula
            ? `every address this node's network interfaces can hold is in use: the Node takes ${capacity.maxPods} pods, more than the ${capacity.formula} a ${capacity.instanceType}'s ENIs can address without prefix delegation; lower maxPods (spec.kubelet.config.maxPods or maxPodsExpression) or enable prefix delegation (ENABLE_PREFIX_DELEGATION on aws-node)`
            : "every address this node's network interfaces can hold is in use: enable prefix delegation (ENABLE_PREFIX_DELEGATION on aws-node) or spread the pods over more nodes";
        default:
          return `the VPC CNI had no address for the pod: ${IPAMD_LOG} says why (a subnet without free addresses, the node's ENIs full, or EC2 refusing the CNI's calls); \`kubectl -n kube-system logs -l k8s-app=aws-node\``;
      }
    case 'ipamd down':
      return "the VPC CNI's address manager (ipamd, in the aws-node pod) is not answering on this node: see `kubectl -n kube-system get pods -l k8s-app=aws-node -o wide` for this node and its logs";
    case 'plugin missing':
      return `the CNI plugin binary${failure.plugin ? ` ${failure.plugin}` : ''} is not in /opt/cni/bin: the CNI's DaemonSet installs it (aws-node's init container for the VPC CNI); see that pod on this node`;
    case 'volume':
      return "the pod's volumes are not attached or mounted: `kubectl describe pod` names them; an EBS volume attaches only to a node in its own Availability Zone and needs the EBS CSI driver's pod on this node (ebs-csi-node) and its controller's IAM role; an EFS volume needs its mount target's security group to allow NFS (2049) from the node";
    case 'sandbox image':
      return "containerd cannot get the sandbox (pause) image: see the runtime's answer above and the containerd line; the image is named in /etc/containerd/config.toml (sandbox_image / pinned pause image)";
    default:
      return 'see `journalctl -u kubelet` and `journalctl -u containerd` for the sandbox error';
  }
}
