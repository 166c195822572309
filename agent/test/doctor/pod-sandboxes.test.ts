import { describe, expect, it } from 'vitest';
import { agentHint, failingNodeAgents, ipamdEvidence, prefixDelegation, sandboxFailures, sandboxHint, stuckPods } from '../../src/doctor/pod-sandboxes.js';
import type { PodObject } from '../../src/doctor/api-objects.js';

/*
 * Lines as journalctl prints a kubelet's (klog's structured form) when the runtime cannot create a
 * pod's sandbox: the runtime call's own line (the error quoted once) and the pod worker's (quoted
 * inside its own error), for the answers the VPC CNI gives most often.
 */
const PREFIX = '2026-12-05T10:11:12+0000 ip-10-0-1-23 kubelet[2345]: E1205 10:11:12.123456    2345';
const noAddress = `${PREFIX} kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"5d1c0ffee\\": plugin type=\\"aws-cni\\" name=\\"aws-cni\\" failed (add): add cmd: failed to assign an IP address to container" pod="shop/web-7d9f-abcde"`;
const workerNoAddress = `${PREFIX} pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"CreatePodSandbox\\" for \\"web-7d9f-fghij_shop(0b1c)\\" with CreatePodSandboxError: \\"Failed to create sandbox for pod \\\\\\"web-7d9f-fghij_shop(0b1c)\\\\\\": rpc error: code = Unknown desc = failed to setup network for sandbox \\\\\\"77aa\\\\\\": plugin type=\\\\\\"aws-cni\\\\\\" name=\\\\\\"aws-cni\\\\\\" failed (add): add cmd: failed to assign an IP address to container\\"" pod="shop/web-7d9f-fghij" podUID="0b1c"`;
const ipamdDown = `${PREFIX} kuberuntime_manager.go:1166] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"9a\\": plugin type=\\"aws-cni\\" name=\\"aws-cni\\" failed (add): add cmd: Error received from AddNetwork gRPC call: rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused\\"" pod="kube-system/coredns-5d78-x1"`;
const noPlugin = `${PREFIX} kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"1f\\": plugin type=\\"aws-cni\\" name=\\"aws-cni\\" failed (add): failed to find plugin \\"aws-cni\\" in path [/opt/cni/bin]" pod="default/api-0"`;

const ipamdLine = (level: string, msg: string): string => JSON.stringify({ level, ts: '2026-12-05T10:11:10.000Z', caller: 'ipamd/ipamd.go:900', msg });

describe('sandboxFailures', () => {
  it('names the pod and the runtime answer, once per pod, newest first', () => {
    expect(sandboxFailures(['unrelated', noAddress, ipamdDown, noAddress])).toEqual([
      {
        pod: 'shop/web-7d9f-abcde',
        cause: 'no address',
        reason:
          'failed to setup network for sandbox "5d1c0ffee": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container',
      },
      {
        pod: 'kube-system/coredns-5d78-x1',
        cause: 'ipamd down',
        reason: 'transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused',
      },
    ]);
  });

  it("reads a pod worker's line, whose error quotes the runtime's twice", () => {
    expect(sandboxFailures([workerNoAddress])).toEqual([
      { pod: 'shop/web-7d9f-fghij', cause: 'no address', reason: expect.stringMatching(/add cmd: failed to assign an IP address to container$/) },
    ]);
  });

  it('names the CNI plugin binary libcni did not find', () => {
    expect(sandboxFailures([noPlugin])).toEqual([
      { pod: 'default/api-0', cause: 'plugin missing', plugin: 'aws-cni', reason: expect.stringContaining('in path [/opt/cni/bin]') },
    ]);
  });

  it('reads a volume the kubelet cannot attach or mount', () => {
    const line = `${PREFIX} pod_workers.go:1301] "Error syncing pod, skipping" err="unmounted volumes=[data], unattached volumes=[data kube-api-access-7x]: timed out waiting for the condition" pod="shop/db-0" podUID="a1"`;
    const mount = `${PREFIX} kubelet.go:1951] "Unable to attach or mount volumes for pod; skipping pod" err="unmounted volumes=[data], unattached volumes=[data kube-api-access-7x]: timed out waiting for the condition" pod="shop/db-0"`;
    expect(sandboxFailures([line])).toEqual(sandboxFailures([mount]));
    expect(sandboxFailures([mount])).toEqual([
      {
        pod: 'shop/db-0',
        cause: 'volume',
        reason: 'unmounted volumes=[data], unattached volumes=[data kube-api-access-7x]: timed out waiting for the condition',
      },
    ]);
    expect(sandboxHint(sandboxFailures([mount])[0]!, undefined)).toContain('Availability Zone');
  });

  it('finds nothing in a healthy journal', () => {
    expect(sandboxFailures([`${PREFIX} kubelet.go:2400] "SyncLoop (PLEG): event for pod" pod="shop/web-7d9f-abcde"`])).toEqual([]);
  });
});

describe('stuckPods', () => {
  const now = new Date('2026-12-05T10:20:00Z');
  const pod = (name: string, startTime: string, extra: Partial<PodObject> = {}, waiting = 'ContainerCreating'): PodObject => ({
    metadata: { namespace: 'shop', name },
    spec: {},
    status: { phase: 'Pending', startTime, containerStatuses: [{ state: { waiting: { reason: waiting } } }] },
    ...extra,
  });

  it('keeps the pods whose containers wait for their volumes or sandbox past a minute, oldest first', () => {
    const pods: PodObject[] = [
      pod('young', '2026-12-05T10:19:30Z'),
      pod('old', '2026-12-05T10:10:00Z'),
      pod('older', '2026-12-05T10:05:00Z'),
      // a host-network pod can wait for its volumes too
      pod('host-network', '2026-12-05T10:00:00Z', { spec: { hostNetwork: true } }),
      pod('pulling', '2026-12-05T10:00:00Z', {}, 'ErrImagePull'),
      { metadata: { namespace: 'shop', name: 'running' }, status: { phase: 'Running', startTime: '2026-12-05T09:00:00Z' } },
      // no container status yet, only the sandbox condition (Kubernetes 1.29 and later)
      {
        metadata: { namespace: 'kube-system', name: 'cond', creationTimestamp: '2026-12-05T10:18:00Z' },
        status: { phase: 'Pending', conditions: [{ type: 'PodReadyToStartContainers', status: 'False' }] },
      },
      // its sandbox is ready: ContainerCreating while a large image is pulled is not stuck
      {
        metadata: { namespace: 'shop', name: 'big-image' },
        status: {
          phase: 'Pending',
          startTime: '2026-12-05T10:00:00Z',
          conditions: [{ type: 'PodReadyToStartContainers', status: 'True' }],
          containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
        },
      },
    ];
    expect(stuckPods(pods, now)).toEqual([
      { pod: 'shop/host-network', ageSeconds: 1200 },
      { pod: 'shop/older', ageSeconds: 900 },
      { pod: 'shop/old', ageSeconds: 600 },
      { pod: 'kube-system/cond', ageSeconds: 120 },
    ]);
  });
});

describe('ipamdEvidence', () => {
  it('names a subnet without free addresses, without the request id', () => {
    const log = [
      ipamdLine('debug', 'IP pool stats: total = 10, used = 10, c.maxIPsPerENI = 5'),
      ipamdLine(
        'error',
        'Failed to allocate a private IP/Prefix addresses on ENI eni-01f8: InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.\n\tstatus code: 400, request id: aeac321e-be9f-4a13',
      ),
    ].join('\n');
    expect(ipamdEvidence(log)).toEqual({
      cause: 'subnet full',
      message:
        'Failed to allocate a private IP/Prefix addresses on ENI eni-01f8: InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.',
    });
  });

  it("names EC2's refusal and a full pool; a pool with room after them means they are over", () => {
    expect(
      ipamdEvidence(ipamdLine('error', 'Failed to CreateNetworkInterface: UnauthorizedOperation: You are not authorized to perform this operation.'))?.cause,
    ).toBe('ec2 refused');
    expect(ipamdEvidence(ipamdLine('debug', 'Prefix pool stats: Total IPs/Prefixes = 32/2, AssignedIPs/CooldownIPs: 32/0, c.maxIPsPerENI = 144'))).toEqual({
      cause: 'interfaces full',
      message: "all 32 addresses of the node's pool assigned",
    });
    const recovered = [
      ipamdLine('debug', 'IP pool stats: total = 10, used = 10, c.maxIPsPerENI = 5'),
      ipamdLine('debug', 'IP pool stats: total = 15, used = 10, c.maxIPsPerENI = 5'),
    ];
    expect(ipamdEvidence(recovered.join('\n'))).toBeUndefined();
    // a log cut mid-line (the tail's first line) or not JSON is passed over
    expect(ipamdEvidence(`ol = 10, used = 10"}\nnot json\n`)).toBeUndefined();
  });

  it('passes over a line that is JSON but no line of ipamd: no object, or a msg that is no string', () => {
    const full = ipamdLine('debug', 'IP pool stats: total = 10, used = 10, c.maxIPsPerENI = 5');
    for (const odd of ['null', '3', '"IP pool stats: total = 1, used = 1"', '[]', '{"msg":null}', '{"msg":["InsufficientCidrBlocks"]}', '{"msg":{"a":1}}'])
      expect(ipamdEvidence(`${full}\n${odd}\n`), odd).toEqual({ cause: 'interfaces full', message: "all 10 addresses of the node's pool assigned" });
  });
});

describe('sandboxHint', () => {
  const [failure] = sandboxFailures([noAddress]);
  it('follows what ipamd said', () => {
    expect(sandboxHint(failure!, { cause: 'subnet full', message: '' })).toContain('subnet has no free IP addresses');
    expect(sandboxHint(failure!, { cause: 'ec2 refused', message: '' })).toContain('AmazonEKS_CNI_Policy');
    expect(sandboxHint(failure!, undefined)).toContain('/var/log/aws-routed-eni/ipamd.log');
  });

  it("with the pool full, names a maxPods above the instance type's ENI formula", () => {
    expect(sandboxHint(failure!, { cause: 'interfaces full', message: '' }, { maxPods: 110, formula: 29, instanceType: 'm5.large' })).toContain(
      "the Node takes 110 pods, more than the 29 a m5.large's ENIs can address without prefix delegation",
    );
    expect(sandboxHint(failure!, { cause: 'interfaces full', message: '' }, { maxPods: 29, formula: 29, instanceType: 'm5.large' })).toContain(
      'enable prefix delegation (ENABLE_PREFIX_DELEGATION on aws-node) or spread the pods',
    );
  });

  it("with prefix delegation on, judges maxPods by the /28 formula and otherwise names the subnet's free /28 blocks", () => {
    const full = { cause: 'interfaces full' as const, message: '' };
    expect(sandboxHint(failure!, full, { maxPods: 110, formula: 29, prefixFormula: 434, instanceType: 'm5.large' })).toMatch(
      /^the node's address pool is used up though prefix delegation is on and a m5\.large's ENIs can take more prefixes \(434 addresses for 110 pods\): .*InsufficientCidrBlocks/,
    );
    expect(sandboxHint(failure!, full, { maxPods: 250, formula: 8, prefixFormula: 226, instanceType: 't3.small' })).toContain(
      "the Node takes 250 pods, more than the 226 a t3.small's ENIs can address with /28 prefixes (prefix delegation is on)",
    );
  });

  it('names the missing plugin and the address manager that does not answer', () => {
    expect(sandboxHint(sandboxFailures([noPlugin])[0]!, undefined)).toMatch(/^the CNI plugin binary aws-cni is not in \/opt\/cni\/bin/);
    expect(sandboxHint(sandboxFailures([ipamdDown])[0]!, undefined)).toContain('ipamd');
  });
});

describe('failingNodeAgents', () => {
  const agent = (
    name: string,
    namespace: string,
    daemonSet: string | undefined,
    container: { name: string; reason?: string; ready?: boolean; restartCount?: number },
  ): PodObject => ({
    metadata: { namespace, name, ...(daemonSet ? { ownerReferences: [{ kind: 'DaemonSet', name: daemonSet }] } : {}) },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: container.name,
          ready: container.ready ?? false,
          restartCount: container.restartCount ?? 0,
          state: container.reason ? { waiting: { reason: container.reason } } : {},
        },
      ],
    },
  });

  it("keeps a DaemonSet's pods whose container crash-loops or cannot get its image", () => {
    const pods = [
      agent('aws-node-x1', 'kube-system', 'aws-node', { name: 'aws-node', reason: 'CrashLoopBackOff', restartCount: 12 }),
      agent('kube-proxy-k2', 'kube-system', 'kube-proxy', { name: 'kube-proxy', ready: true }),
      agent('ebs-csi-node-e3', 'kube-system', 'ebs-csi-node', { name: 'node-driver-registrar', reason: 'ImagePullBackOff' }),
      // a Deployment's pod: the workload's own trouble, not the node's
      agent('web-1', 'shop', undefined, { name: 'web', reason: 'CrashLoopBackOff', restartCount: 40 }),
      // starting, not failing
      agent('fluent-bit-f4', 'logging', 'fluent-bit', { name: 'fluent-bit', reason: 'ContainerCreating' }),
    ];
    expect(failingNodeAgents(pods)).toEqual([
      { pod: 'kube-system/aws-node-x1', component: 'aws-node', container: 'aws-node', reason: 'CrashLoopBackOff', restarts: 12 },
      { pod: 'kube-system/ebs-csi-node-e3', component: 'ebs-csi-node', container: 'node-driver-registrar', reason: 'ImagePullBackOff', restarts: 0 },
    ]);
  });

  it('points at the previous run of a crash-looping agent, and at ipamd for aws-node', () => {
    const [awsNode, csi] = failingNodeAgents([
      agent('aws-node-x1', 'kube-system', 'aws-node', { name: 'aws-node', reason: 'CrashLoopBackOff', restartCount: 12 }),
      agent('ebs-csi-node-e3', 'kube-system', 'ebs-csi-node', { name: 'node-driver-registrar', reason: 'ImagePullBackOff' }),
    ]);
    expect(agentHint(awsNode!)).toContain('`kubectl -n kube-system logs aws-node-x1 -c aws-node --previous`');
    expect(agentHint(awsNode!)).toContain('/var/log/aws-routed-eni/ipamd.log');
    expect(agentHint(csi!)).toContain('`kubectl -n kube-system describe pod ebs-csi-node-e3`');
    expect(agentHint(csi!)).toMatch(
      /^kube-system\/ebs-csi-node-e3 cannot get the image of node-driver-registrar \(ImagePullBackOff\): the registry line dials/,
    );
  });

  it("keeps CoreDNS, the cluster's DNS, and points a crash loop at the pod-dns line", () => {
    const coredns = (namespace: string): PodObject => ({
      metadata: { namespace, name: 'coredns-5d78c9869d-abcde', ownerReferences: [{ kind: 'ReplicaSet', name: 'coredns-5d78c9869d' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'coredns', ready: false, restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    });
    const [dns] = failingNodeAgents([coredns('kube-system')]);
    expect(dns).toEqual({ pod: 'kube-system/coredns-5d78c9869d-abcde', component: 'coredns', container: 'coredns', reason: 'CrashLoopBackOff', restarts: 7 });
    expect(agentHint(dns!)).toContain('"Loop ... detected"');
    expect(agentHint(dns!)).toContain('pod-dns line');
    // a workload that happens to be named so, elsewhere: not the cluster's DNS
    expect(failingNodeAgents([coredns('shop')])).toEqual([]);
    // a Deployment renamed (a self-managed CoreDNS) is still the cluster's DNS by the label its Service selects
    const renamed: PodObject = {
      metadata: {
        namespace: 'kube-system',
        name: 'dns-7c4f-xyz12',
        labels: { 'k8s-app': 'kube-dns' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'dns-7c4f' }],
      },
      status: coredns('kube-system').status!,
    };
    expect(failingNodeAgents([renamed])).toMatchObject([{ pod: 'kube-system/dns-7c4f-xyz12', component: 'coredns' }]);
    // another Deployment's pod in kube-system is not judged
    const other: PodObject = {
      ...renamed,
      metadata: {
        ...renamed.metadata,
        name: 'metrics-server-1',
        labels: { 'k8s-app': 'metrics-server' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'metrics-server-1' }],
      },
    };
    expect(failingNodeAgents([other])).toEqual([]);
  });
});

describe('prefixDelegation', () => {
  const awsNode = (env?: Array<{ name: string; value?: string; valueFrom?: unknown }>): PodObject => ({
    metadata: { namespace: 'kube-system', name: 'aws-node-x', ownerReferences: [{ kind: 'DaemonSet', name: 'aws-node' }] },
    spec: { containers: [{ name: 'aws-node', ...(env ? { env } : {}) }, { name: 'aws-eks-nodeagent' }] },
  });
  it("reads ENABLE_PREFIX_DELEGATION from the node's aws-node pod", () => {
    expect(prefixDelegation([awsNode([{ name: 'ENABLE_PREFIX_DELEGATION', value: 'true' }])])).toBe(true);
    expect(prefixDelegation([awsNode([{ name: 'ENABLE_PREFIX_DELEGATION', value: 'false' }])])).toBe(false);
    // unset: the CNI's default, off
    expect(prefixDelegation([awsNode([{ name: 'WARM_ENI_TARGET', value: '1' }])])).toBe(false);
    // from a ConfigMap, or no aws-node here (another CNI): unknown
    expect(prefixDelegation([awsNode([{ name: 'ENABLE_PREFIX_DELEGATION', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }])])).toBeUndefined();
    expect(
      prefixDelegation([{ metadata: { namespace: 'kube-system', name: 'cilium-x', ownerReferences: [{ kind: 'DaemonSet', name: 'cilium' }] } }]),
    ).toBeUndefined();
  });
});
