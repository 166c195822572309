import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { startNode, type NodeOptions, type SimulatedNode } from '../support/node.js';

/*
 * The classic flow on a simulated node: user data that is only a script, a drop-in written
 * between the config and run phases, and /etc/eks/bootstrap.sh (the agent's bootstrap-sh).
 */

const complete = nodeConfig({ cluster: completeCluster });
const script = '#!/bin/bash\n/etc/eks/bootstrap.sh test-cluster\n/opt/aws/bin/cfn-signal --exit-code $? --stack s --resource NodeGroup --region us-west-2\n';

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});
async function boot(userData: string, options: Omit<NodeOptions, 'imds'> = {}) {
  node = await startNode({ ...options, imds: { userData } });
  return node;
}

/** The sources of the boot units, under the simulated root. */
const sources = (n: SimulatedNode) => [
  '-c',
  'imds://user-data',
  '-c',
  `file://${n.root}/etc/eks/nodeadm.d/`,
  '-c',
  `file://${n.root}/etc/eks/eks-node-agent.d/`,
];
const configPhase = (n: SimulatedNode) => n.agent(['init', '--root', n.root, '--skip', 'run', ...sources(n)]);
const runPhase = (n: SimulatedNode) => n.agent(['init', '--root', n.root, '--skip', 'config', ...sources(n)]);
const dropIn = (n: SimulatedNode, name: string, spec: Record<string, unknown>) => {
  mkdirSync(join(n.root, 'etc/eks/nodeadm.d'), { recursive: true });
  writeFileSync(join(n.root, 'etc/eks/nodeadm.d', name), nodeConfig(spec));
};
const maxPods = (n: SimulatedNode) => JSON.parse(n.read('/etc/kubernetes/kubelet/config.json')).maxPods as number;
const restarts = (n: SimulatedNode) => n.systemctlCalls().filter((c) => c.startsWith('restart'));

describe('drop-ins written between the phases', () => {
  it('a drop-in that changes maxPods makes the run phase configure again before starting kubelet', async () => {
    const n = await boot(complete);
    expect((await configPhase(n)).exitCode).toBe(0);
    expect(maxPods(n)).toBe(29);
    dropIn(n, '50-max-pods.yaml', { kubelet: { config: { maxPods: 42 } } });
    const asked = n.imds.requests.length;
    const r = await runPhase(n);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/run phase: the merged NodeConfig changed since the config phase/);
    expect(maxPods(n)).toBe(42);
    // configuring again takes the user data and the instance's facts from the config phase's answers
    expect(n.imds.requests.slice(asked)).toEqual([]);
    expect(r.stderr).toMatch(/run phase: [1-9]\d* IMDS answers kept by the config phase \([^)]+\), 0 asked of IMDS\n/);
    expect(restarts(n)).toEqual(['restart containerd.service', 'restart kubelet.service']);
  });

  it('a drop-in that changes nothing leaves every file untouched and restarts nothing', async () => {
    const n = await boot(complete);
    expect((await n.agent(['init', '--root', n.root, ...sources(n)])).exitCode).toBe(0);
    const calls = n.systemctlCalls().length;
    dropIn(n, '50-same.yaml', { cluster: { name: 'test-cluster' } });
    const before = n.snapshot();
    delete before['/etc/eks/nodeadm.d/50-same.yaml'];
    const r = await runPhase(n);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/run phase: the merged NodeConfig is the one the config phase applied/);
    const after = n.snapshot();
    delete after['/etc/eks/nodeadm.d/50-same.yaml'];
    expect(after).toEqual(before);
    expect(
      n
        .systemctlCalls()
        .slice(calls)
        .filter((c) => !c.includes('is-active')),
    ).toEqual([]);
  });

  it('a drop-in that fails validation stops the run phase with its field named, kubelet not started', async () => {
    const n = await boot(complete);
    expect((await configPhase(n)).exitCode).toBe(0);
    dropIn(n, '50-bad.yaml', { kubelet: { config: { maxPods: -1 } } });
    const r = await runPhase(n);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: spec\.kubelet\.config\.maxPods: -1 is not a positive integer/m);
    expect(restarts(n)).toEqual([]);
  });
});

describe('user data that is only a script', () => {
  it('the config phase writes nothing and the run phase starts nothing, and both say why', async () => {
    const n = await boot(script);
    const before = n.snapshot();
    const config = await configPhase(n);
    expect(config.exitCode).toBe(0);
    expect(config.stderr).toMatch(/config phase: no NodeConfig found in .*nothing written/);
    const run = await runPhase(n);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/run phase: no NodeConfig found in .*containerd and kubelet not started/);
    expect(n.snapshot()).toEqual(before);
    expect(n.systemctlCalls()).toEqual([]);
  });
});

describe('/etc/eks/bootstrap.sh (bootstrap-sh)', () => {
  it('joins with the cluster name alone: DescribeCluster, the drop-in, and a run unit that then changes nothing', async () => {
    const n = await boot(script);
    expect((await configPhase(n)).exitCode).toBe(0);
    const r = await n.agent([
      'bootstrap-sh',
      '--root',
      n.root,
      '--',
      'test-cluster',
      '--kubelet-extra-args',
      '--node-labels=nodegroup=classic --max-pods=17',
      '--enable-docker-bridge',
      'true',
    ]);
    expect(r.stderr).toMatch(/warning: --enable-docker-bridge: ignored, this image has no Docker/);
    expect(r.exitCode).toBe(0);
    expect(n.eks.requests.map((q) => q.clusterName)).toEqual(['test-cluster']);
    expect(maxPods(n)).toBe(17);
    expect(n.read('/etc/eks/kubelet/environment')).toContain('--node-labels=nodegroup=classic');
    expect(n.read('/etc/eks/eks-node-agent.d/50-bootstrap-sh.yaml')).toContain('maxPods: 17');
    expect(restarts(n)).toEqual(['restart containerd.service', 'restart kubelet.service']);
    // eks-node-agent-run.service, after cloud-final
    const run = await runPhase(n);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/is the one the config phase applied/);
    expect(restarts(n)).toHaveLength(2);
    expect(n.eks.requests).toHaveLength(1);
  });

  it('merges after the user data NodeConfig', async () => {
    const n = await boot(nodeConfig({ cluster: { name: 'test-cluster' }, kubelet: { config: { maxPods: 50 }, flags: ['--v=3'] } }));
    const r = await n.agent(['bootstrap-sh', '--root', n.root, '--', 'test-cluster', '--kubelet-extra-args', '--max-pods=17']);
    expect(r.exitCode).toBe(0);
    expect(maxPods(n)).toBe(17);
    expect(n.read('/etc/eks/kubelet/environment')).toContain('--v=3');
  });

  it('refuses --ip-family ipv5 with exit 1, writing nothing and starting nothing', async () => {
    const n = await boot(script);
    const before = n.snapshot();
    const r = await n.agent(['bootstrap-sh', '--root', n.root, '--', 'test-cluster', '--ip-family', 'ipv5']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: bootstrap.sh --ip-family: "ipv5" is not allowed (expected ipv4 or ipv6)\n');
    expect(n.snapshot()).toEqual(before);
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('takes back its drop-in when the merged configuration is refused', async () => {
    const n = await boot(script);
    const r = await n.agent(['bootstrap-sh', '--root', n.root, '--', 'test-cluster', '--service-ipv4-cidr', '10.100.0/16']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: spec\.cluster\.cidr: "10\.100\.0\/16"/m);
    expect(existsSync(join(n.root, 'etc/eks/eks-node-agent.d/50-bootstrap-sh.yaml'))).toBe(false);
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('exits 2 when the cluster cannot be described, so cfn-signal reports the failure', async () => {
    const n = await boot(script);
    const r = await n.agent(['bootstrap-sh', '--root', n.root, '--', 'no-such-cluster']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: .*no-such-cluster/m);
    expect(restarts(n)).toEqual([]);
  });
});
