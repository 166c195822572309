import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type DnsEmulator, startDns } from '../emulators/dns.js';
import { TEST_CLUSTER_ENDPOINT as ENDPOINT } from '../emulators/eks.js';
import { fixture } from '../support/agent.js';
import { startNode, type SimulatedNode } from '../support/node.js';
import { completeCluster, nodeConfig } from '../support/user-data.js';

/**
 * A local cluster (control plane on an Outpost): its nodes must keep the API server while the
 * Outpost is cut off from its Region, which answers IAM and the endpoint's DNS name. The agent
 * gives the kubelet a bootstrap kubeconfig (it trades the token for a certificate) and pins the
 * endpoint's addresses in /etc/hosts, asked of the node's DNS (here a double on loopback).
 */

const HOST = new URL(ENDPOINT).hostname.toLowerCase();
const LOCAL_ID = 'a1b2c3d4-5678-90ab-cdef-0123456789ab';
const ADDRESSES = ['10.0.5.10', '10.0.5.11', '10.0.5.12'];
const BEGIN = /^# BEGIN eks-node-agent: /m;

let node: SimulatedNode | undefined;
let dns: DnsEmulator | undefined;
afterEach(async () => {
  await node?.close();
  await dns?.close();
  node = dns = undefined;
});

async function localNode(userData: string): Promise<SimulatedNode> {
  dns = await startDns({ records: { [HOST]: ADDRESSES } });
  node = await startNode({ imds: { userData }, eks: { clusters: { 'test-cluster': { localClusterId: LOCAL_ID } } } });
  mkdirSync(join(node.root, 'etc'), { recursive: true });
  writeFileSync(join(node.root, 'etc/resolv.conf'), `nameserver ${dns.server}\n`);
  writeFileSync(join(node.root, 'etc/hosts'), '127.0.0.1   localhost\n::1         localhost\n', { mode: 0o644 });
  return node;
}

/** `render --instance`: the instance of the render golden case for a local cluster. */
function factsFile(n: SimulatedNode): string {
  const path = join(n.root, 'facts.json');
  const golden = parse(readFileSync(fixture('render/outpost/input.yaml'), 'utf8')) as { facts: { instance: unknown } };
  writeFileSync(path, JSON.stringify(golden.facts.instance));
  return path;
}

const pinnedLines = (n: SimulatedNode) =>
  n
    .read('/etc/hosts')
    .split('\n')
    .filter((l) => l.endsWith(`\t${HOST}`));

describe('a local cluster on an Outpost', () => {
  it('named only: id from eks:DescribeCluster, a bootstrap kubeconfig, the API server pinned; a reboot cut off from DNS keeps the pin', async () => {
    const n = await localNode(nodeConfig({ cluster: { name: 'test-cluster' } }));
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`api server pin \\d+ ms \\(${HOST.replace(/\./g, '\\.')} pinned in /etc/hosts to ${ADDRESSES.join(', ')} \\(asked 127\\.0\\.0\\.1:\\d+\\)\\)`),
    );
    expect(r.stderr).not.toMatch(/warning/);
    // the kubelet gets the token's kubeconfig as its bootstrap one, with the local cluster's id,
    // and writes /var/lib/kubelet/kubeconfig itself once it holds a certificate
    const bootstrap = n.read('/var/lib/kubelet/bootstrap-kubeconfig');
    expect(bootstrap).toContain(`- ${LOCAL_ID}`);
    expect(bootstrap).toContain(`server: ${ENDPOINT}`);
    expect(existsSync(join(n.root, 'var/lib/kubelet/kubeconfig'))).toBe(false);
    const env = n.read('/etc/eks/kubelet/environment');
    expect(env).toContain('--bootstrap-kubeconfig=/var/lib/kubelet/bootstrap-kubeconfig');
    expect(env).toContain('--kubeconfig=/var/lib/kubelet/kubeconfig');
    // the user's lines stay first; the pin is one block, every address once
    const hosts = n.read('/etc/hosts');
    expect(hosts.startsWith('127.0.0.1   localhost\n::1         localhost\n# BEGIN eks-node-agent: ')).toBe(true);
    expect(
      pinnedLines(n)
        .map((l) => l.split('\t')[0])
        .sort(),
    ).toEqual(ADDRESSES);
    // the id is cached with the answer: the next boot knows the cluster is local without asking
    expect(JSON.parse(n.read('/var/lib/eks-node-agent/cluster.json')).id).toBe(LOCAL_ID);

    // a reboot while the Outpost is cut off: no DNS answer, the earlier pin stays, the boot goes on
    dns!.set({ mode: 'drop' });
    const cut = await n.agent(['init', '--root', n.root]);
    expect(cut.exitCode, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/warning: api server pin: DNS gave no address for .* \(A: ETIMEOUT, AAAA: ETIMEOUT\); kept the earlier pin/);
    expect(n.read('/etc/hosts')).toBe(hosts);
    expect(n.eks.requests).toHaveLength(1);
    expect(n.read('/var/lib/kubelet/bootstrap-kubeconfig')).toBe(bootstrap);

    // connected again, the control plane moved one address: the block is replaced, not added to
    dns!.set({ mode: 'answer', records: { [HOST]: ['10.0.5.10', '10.0.5.11', '10.0.5.13'] } });
    const moved = await n.agent(['init', '--root', n.root]);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(n.read('/etc/hosts').match(new RegExp(BEGIN, 'gm'))).toHaveLength(1);
    expect(
      pinnedLines(n)
        .map((l) => l.split('\t')[0])
        .sort(),
    ).toEqual(['10.0.5.10', '10.0.5.11', '10.0.5.13']);
  });

  it('the run phase writes the pin again when /etc/hosts was written anew between the phases, without asking DNS', async () => {
    const n = await localNode(nodeConfig({ cluster: { ...completeCluster, enableOutpost: true, id: LOCAL_ID } }));
    const config = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(config.exitCode, config.stderr).toBe(0);
    const pinned = n.read('/etc/hosts');
    const asked = dns!.requests.length;
    // cloud-init's manage_etc_hosts renders the file from its template at every boot
    writeFileSync(join(n.root, 'etc/hosts'), '127.0.0.1 localhost ip-10-0-1-23\n');
    const run = await n.agent(['init', '--root', n.root, '--skip', 'config']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /api server pin: \/etc\/hosts lost the pin of .* since the config phase .*: written again \(10\.0\.5\.1\d, 10\.0\.5\.1\d, 10\.0\.5\.1\d\)/,
    );
    // the same block, the same order, after the template's lines
    expect(n.read('/etc/hosts')).toBe(`127.0.0.1 localhost ip-10-0-1-23\n${pinned.slice(pinned.indexOf('# BEGIN'))}`);
    expect(dns!.requests.length).toBe(asked);
    // left alone, the run phase says nothing of it
    const again = await n.agent(['init', '--root', n.root, '--skip', 'config']);
    expect(again.stderr).not.toMatch(/api server pin/);
  });

  it('a node moved from the regional to the local cluster and back: kubeconfig and pin follow', async () => {
    const n = await localNode(nodeConfig({ cluster: completeCluster }));
    expect((await n.agent(['init', '--root', n.root])).exitCode).toBe(0);
    expect(n.read('/var/lib/kubelet/kubeconfig')).toContain('- test-cluster');
    expect(n.read('/etc/hosts')).not.toMatch(BEGIN);

    // the agent's own token kubeconfig would keep the kubelet from bootstrapping: it goes
    n.imds.setUserData(nodeConfig({ cluster: { ...completeCluster, enableOutpost: true, id: LOCAL_ID } }));
    const local = await n.agent(['init', '--root', n.root]);
    expect(local.exitCode, local.stderr).toBe(0);
    expect(local.stderr).toMatch(/removed \(\/var\/lib\/kubelet\/kubeconfig\)/);
    expect(existsSync(join(n.root, 'var/lib/kubelet/kubeconfig'))).toBe(false);
    expect(n.read('/var/lib/kubelet/bootstrap-kubeconfig')).toContain(`- ${LOCAL_ID}`);
    expect(pinnedLines(n)).toHaveLength(3);
    expect(n.eks.requests).toHaveLength(0);

    n.imds.setUserData(nodeConfig({ cluster: completeCluster }));
    const regional = await n.agent(['init', '--root', n.root]);
    expect(regional.exitCode, regional.stderr).toBe(0);
    expect(regional.stderr).toMatch(/api server pin \d+ ms \(not a local cluster: took the earlier pin out of \/etc\/hosts\)/);
    expect(n.read('/etc/hosts')).toBe('127.0.0.1   localhost\n::1         localhost\n');
    expect(existsSync(join(n.root, 'var/lib/kubelet/bootstrap-kubeconfig'))).toBe(false);
    expect(n.read('/var/lib/kubelet/kubeconfig')).toContain('- test-cluster');
  });

  it('config check, render and init --dry-run say the same of a local cluster; the dry run writes nothing', async () => {
    const userData = nodeConfig({ cluster: { ...completeCluster, enableOutpost: true, id: LOCAL_ID } });
    const n = await localNode(userData);
    const file = join(n.root, 'user-data.yaml');
    writeFileSync(file, userData);
    const check = await n.agent(['config', 'check', '-c', `file://${file}`]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toContain(
      `local cluster (Outpost, id ${LOCAL_ID}): the kubelet trades its token for a client certificate (/var/lib/kubelet/bootstrap-kubeconfig); init pins ${HOST} in /etc/hosts`,
    );
    const facts = factsFile(n);
    const out = join(n.root, 'rendered');
    const render = await n.agent(['render', '-c', `file://${file}`, '--instance', facts, '--out', out]);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/file 0600 +\d+ \/var\/lib\/kubelet\/bootstrap-kubeconfig\n/);
    expect(render.stdout).not.toMatch(/\/var\/lib\/kubelet\/kubeconfig\n/);
    expect(render.stdout).toContain(`api server pin: init pins ${HOST} in /etc/hosts to the addresses DNS gives at boot (not looked up by render)`);
    const hosts = n.read('/etc/hosts');
    const dry = await n.agent(['init', '--root', n.root, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/file 0600 +\d+ \/var\/lib\/kubelet\/bootstrap-kubeconfig\n/);
    expect(dry.stdout).toContain(`api server pin: ${HOST} pinned in /etc/hosts to ${ADDRESSES.join(', ')}`);
    expect(n.read('/etc/hosts')).toBe(hosts);
    expect(existsSync(join(n.root, 'var/lib/kubelet/bootstrap-kubeconfig'))).toBe(false);
  });

  it("render's --cluster file stands in for eks:DescribeCluster, a local cluster's id included", async () => {
    const n = await localNode(nodeConfig({ cluster: { name: 'test-cluster' } }));
    const file = join(n.root, 'user-data.yaml');
    writeFileSync(file, nodeConfig({ cluster: { name: 'test-cluster' } }));
    const facts = factsFile(n);
    const cluster = join(n.root, 'cluster.json');
    const { name, apiServerEndpoint, certificateAuthority, cidr } = completeCluster;
    writeFileSync(cluster, JSON.stringify({ name, apiServerEndpoint, certificateAuthority, serviceCidr: cidr, id: LOCAL_ID }));
    const out = join(n.root, 'rendered');
    const render = await n.agent(['render', '-c', `file://${file}`, '--instance', facts, '--cluster', cluster, '--out', out]);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(readFileSync(join(out, 'var/lib/kubelet/bootstrap-kubeconfig'), 'utf8')).toContain(`- ${LOCAL_ID}`);
    expect(render.stdout).toContain(`api server pin: init pins ${HOST} in /etc/hosts`);
    expect(n.eks.requests).toEqual([]);
  });

  it('says which of user data and EKS disagree, and keeps the user data', async () => {
    const n = await localNode(nodeConfig({ cluster: { name: 'test-cluster', enableOutpost: false } }));
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: spec.cluster.enableOutpost: false, but eks:DescribeCluster gives cluster "test-cluster" the local-cluster id ${LOCAL_ID}: the kubelet keeps IAM tokens`,
    );
    expect(n.read('/var/lib/kubelet/kubeconfig')).toContain('- test-cluster');
    expect(n.read('/etc/hosts')).not.toMatch(BEGIN);
    expect(dns!.requests).toEqual([]);
  });
});
