import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IMDS_ANSWERS_PATH } from '../../agent/src/aws/imds-answers.js';
import { TEST_CLUSTER_CA_PEM, TEST_CLUSTER_ENDPOINT as ENDPOINT } from '../emulators/eks.js';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { startNode, type NodeOptions, type SimulatedNode } from '../support/node.js';

const userData = nodeConfig;
const complete = (extra: Record<string, unknown> = {}) => userData({ cluster: completeCluster, ...extra });
const nameOnly = userData({ cluster: { name: 'test-cluster' } });

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

async function boot(ud: string, options: Omit<NodeOptions, 'imds'> & { imds?: NodeOptions['imds'] } = {}) {
  node = await startNode({ ...options, imds: { userData: ud, ...options.imds } });
  return node;
}
/** what the IMDS emulator was asked for the interfaces' IPv6 addresses */
const ipv6Requests = (n: SimulatedNode) => n.imds.requests.filter((q) => q.path.endsWith('/ipv6s')).map((q) => q.path);
const kubeletConfig = (n: SimulatedNode) => JSON.parse(n.read('/etc/kubernetes/kubelet/config.json'));

describe('init', () => {
  it('configures an m5.large from complete user data without any AWS call', async () => {
    const n = await boot(complete());
    const spawned = performance.now();
    const r = await n.agent(['init', '--root', n.root]);
    const wall = performance.now() - spawned;
    expect(r.stderr).toMatch(/cluster \d+ ms \(complete in user data, no EKS call\)/);
    expect(r.exitCode).toBe(0);
    expect(n.eks.requests).toHaveLength(0);
    expect(n.ec2.requests).toHaveLength(0);
    // an IPv4 cluster: the interface's IPv6 addresses are never asked
    expect(ipv6Requests(n)).toEqual([]);
    const kc = kubeletConfig(n);
    expect(kc.maxPods).toBe(29);
    expect(kc.kubeReserved).toEqual({ cpu: '70m', memory: '574Mi', 'ephemeral-storage': '1Gi' });
    expect(kc.clusterDNS).toEqual(['10.100.0.10']);
    expect(kc.providerID).toBe('aws:///us-west-2a/i-0123456789abcdef0');
    expect(n.read('/etc/kubernetes/pki/ca.crt')).toBe(TEST_CLUSTER_CA_PEM.endsWith('\n') ? TEST_CLUSTER_CA_PEM : `${TEST_CLUSTER_CA_PEM}\n`);
    expect(n.read('/etc/eks/kubelet/environment')).toMatch(/--node-ip=10\.0\.1\.23["\s]/);
    expect(n.systemctlCalls()).toEqual(['restart containerd.service', '--quiet is-active containerd.service', 'restart kubelet.service']);
    // one line per phase, each with its duration, for the journal
    for (const phase of ['resolve config', 'facts', 'cluster', 'render', 'write']) expect(r.stderr).toMatch(new RegExp(`eks-node-agent: ${phase} \\d+ ms`));
    // the closing line counts from the process's creation, not from our first line: it covers every
    // phase, and the runtime's own start (never nothing), and no more than the test saw from spawn
    // to exit (plus /proc's 10 ms steps)
    const [, total, runtimeStart] = /eks-node-agent: done in (\d+) ms \(runtime start (\d+) ms\)\n/.exec(r.stderr)!.map(Number);
    const phases = [...r.stderr.matchAll(/eks-node-agent: (?!done in)[a-z -]+ (\d+) ms/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(runtimeStart).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(runtimeStart! + phases);
    expect(total).toBeLessThanOrEqual(wall + 20);
  });

  it('fills endpoint, CA and CIDR of a name-only config with eks:DescribeCluster, once', async () => {
    const n = await boot(nameOnly);
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.stderr).toMatch(/apiServerEndpoint, certificateAuthority, cidr from eks:DescribeCluster/);
    expect(r.exitCode).toBe(0);
    expect(n.eks.requests.map((q) => q.clusterName)).toEqual(['test-cluster']);
    expect(n.eks.requests[0]!.signed).toBe(true);
    expect(n.read('/var/lib/kubelet/kubeconfig')).toContain(`server: ${ENDPOINT}`);
    // DescribeCluster said IPv4: the interface's IPv6 addresses were not asked
    expect(ipv6Requests(n)).toEqual([]);
    // the second run (a reboot, or the run phase) uses the cached answer
    const again = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/from cached answer/);
    expect(n.eks.requests).toHaveLength(1);
  });

  it('asks EKS again on an instance launched from an image made from a joined node: the cached answer names the instance that wrote it', async () => {
    const n = await boot(nameOnly);
    expect((await n.agent(['init', '--root', n.root, '--skip', 'run'])).exitCode).toBe(0);
    const cached = n.read('/var/lib/eks-node-agent/cluster.json');
    expect(JSON.parse(cached).instanceId).toBe('i-0123456789abcdef0');
    await n.close();
    // the node's disk, made an image, on another instance (whose cluster of that name may be another)
    const m = await boot(nameOnly, { imds: { instance: { instanceId: 'i-0fedcba9876543210' } } });
    mkdirSync(join(m.root, 'var/lib/eks-node-agent'), { recursive: true });
    writeFileSync(join(m.root, 'var/lib/eks-node-agent/cluster.json'), cached);
    const r = await m.agent(['init', '--root', m.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: /var/lib/eks-node-agent/cluster.json: written on instance i-0123456789abcdef0, not on this one (i-0fedcba9876543210), as when an image is made from a node; discarded, asking eks:DescribeCluster',
    );
    expect(m.eks.requests).toHaveLength(1);
    expect(JSON.parse(m.read('/var/lib/eks-node-agent/cluster.json')).instanceId).toBe('i-0fedcba9876543210');
  });

  it("warns, and goes on, when the image's kubelet is newer than the cluster eks:DescribeCluster describes; the cache keeps the version", async () => {
    const n = await boot(nameOnly, { kubeletVersion: 'v1.35.0' });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    const warning = (text: string) => text.split('\n').filter((l) => l.includes('warning: kubelet'));
    expect(warning(r.stderr)).toEqual([
      'eks-node-agent: warning: kubelet 1.35 is newer than cluster "test-cluster" (Kubernetes 1.33, as eks:DescribeCluster gives it); the Kubernetes version skew policy allows no kubelet newer than its API server (it may call APIs the server does not serve): run the image built for 1.33, or upgrade the cluster first',
    ]);
    expect(JSON.parse(n.read('/var/lib/eks-node-agent/cluster.json'))).toMatchObject({ name: 'test-cluster', version: '1.33' });
    const again = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(warning(again.stderr)).toEqual([expect.stringContaining('(Kubernetes 1.33, as the cached eks:DescribeCluster answer gives it)')]);
    expect(n.eks.requests).toHaveLength(1);
  });

  it('reads the instance role without HOME (a system service) and prints nothing of the runtime into the journal', async () => {
    const n = await boot(nameOnly);
    // no credentials in the environment: the instance role's, after a look for ~/.aws files
    const r = await n.agent(['init', '--root', n.root], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.imds.count('/latest/meta-data/iam/security-credentials/')).toBeGreaterThan(0);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('eks-node-agent: '))).toEqual([]);
  });

  it('configures an IPv6 cluster: DNS from the prefix, node IP from the interface', async () => {
    const n = await boot(nameOnly, {
      eks: { clusters: { 'test-cluster': { ipFamily: 'ipv6' } } },
      imds: { instance: { ipv6: '2600:1f14:abcd:1200::10' } },
    });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    expect(kubeletConfig(n).clusterDNS).toEqual(['fd30:1c53:5f8a::a']);
    expect(n.read('/etc/eks/kubelet/environment')).toContain('--node-ip=2600:1f14:abcd:1200::10');
    // asked once, after DescribeCluster said IPv6
    expect(r.stderr).toMatch(/facts \(IPv6\) \d+ ms \(the cluster is IPv6: the interface's address 2600:1f14:abcd:1200::10\)/);
    expect(ipv6Requests(n)).toHaveLength(1);
  });

  it('asks the interface for its IPv6 address with the other facts when the user data states an IPv6 CIDR', async () => {
    const n = await boot(userData({ cluster: { ...completeCluster, cidr: 'fd30:1c53:5f8a::/108' } }), {
      imds: { instance: { ipv6: '2600:1f14:abcd:1200::10' } },
    });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.eks.requests).toHaveLength(0);
    expect(r.stderr).not.toMatch(/facts \(IPv6\)/);
    expect(ipv6Requests(n)).toHaveLength(1);
    expect(n.read('/etc/eks/kubelet/environment')).toContain('--node-ip=2600:1f14:abcd:1200::10');
  });

  it('joins an IPv6 cluster from an instance without IPv4 (no local-ipv4, an IPv6-only subnet), and refuses an IPv4 cluster there by name', async () => {
    const ipv6Only = { instance: { ipv6: '2600:1f14:abcd:1200::10' }, metaData: { 'local-ipv4': null } };
    const n = await boot(userData({ cluster: { ...completeCluster, cidr: 'fd30:1c53:5f8a::/108' } }), { imds: ipv6Only });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.read('/etc/eks/kubelet/environment')).toContain('--node-ip=2600:1f14:abcd:1200::10');
    expect(n.imds.requests).toContainEqual(expect.objectContaining({ path: '/latest/meta-data/local-ipv4', status: 404 }));
    // boot() keeps one node for afterEach to close: this one is done with
    await n.close();
    const v4 = await boot(complete(), { imds: ipv6Only });
    const refused = await v4.agent(['init', '--root', v4.root, '--skip', 'run']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(
      'error: facts.privateIpv4: missing (IMDS has no local-ipv4: an instance without IPv4), but spec.cluster.cidr is an IPv4 CIDR (a node in an IPv6-only subnet joins an IPv6 cluster)',
    );
    expect(existsSync(join(v4.root, 'etc/eks/kubelet/environment'))).toBe(false);
  });

  it('answers a type the baked table lacks from the built-in table, with no AWS call', async () => {
    const n = await boot(complete(), { imds: { instance: { instanceType: 'c6g.medium' } } });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/ENI limits from built-in/);
    expect(r.stderr).not.toMatch(/warning:/);
    expect(n.ec2.requests).toEqual([]);
    expect(kubeletConfig(n).maxPods).toBe(8);
  });

  it('asks ec2:DescribeInstanceTypes for a type newer than both tables', async () => {
    const n = await boot(complete(), { imds: { instance: { instanceType: 'm99i.large' } } });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/ENI limits from ec2/);
    expect(n.ec2.requests.map((q) => q.action)).toEqual(['DescribeInstanceTypes']);
    expect(kubeletConfig(n).maxPods).toBe(29);
  });

  it('falls back to 110 pods with one warning when EC2 refuses', async () => {
    const n = await boot(complete(), { imds: { instance: { instanceType: 'm99i.large' } }, ec2: { unauthorized: true } });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/max pods: ENI limits of instance type m99i.large are unknown \(.*UnauthorizedOperation.*\), using 110/);
    expect(kubeletConfig(n).maxPods).toBe(110);
  });

  it('neither looks up ENI limits nor warns when maxPods is explicit', async () => {
    const n = await boot(complete({ kubelet: { config: { maxPods: 42 } } }), {
      imds: { instance: { instanceType: 'm99i.large' } },
      ec2: { unauthorized: true },
    });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/warning:/);
    expect(n.ec2.requests).toEqual([]);
    expect(kubeletConfig(n).maxPods).toBe(42);
  });

  it('evaluates a CEL maxPodsExpression and rejects a bad one before writing anything', async () => {
    const n = await boot(complete({ kubelet: { maxPodsExpression: 'default_enis * (ips_per_eni - 1) - 2' } }));
    expect((await n.agent(['init', '--root', n.root, '--skip', 'run'])).exitCode).toBe(0);
    expect(kubeletConfig(n).maxPods).toBe(25);
    n.imds.setUserData(complete({ kubelet: { maxPodsExpression: 'default_enis *' } }));
    const before = n.snapshot();
    const bad = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^error: spec\.kubelet\.maxPodsExpression: /m);
    expect(n.snapshot()).toEqual(before);
  });

  it('boots user data whose flags item holds an AL2 --kubelet-extra-args string, or quotes, one flag per argument, warning; config check refuses it', async () => {
    const extraArgs = '--node-labels=lifecycle=spot --register-with-taints=spot=true:PreferNoSchedule --max-pods 20\n';
    const n = await boot(complete({ kubelet: { flags: [extraArgs, '--node-labels="pool=general"'] } }));
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    const warning =
      /^eks-node-agent: warning: spec\.kubelet\.flags\[0\]: .* is read as 3 flags, "--node-labels=lifecycle=spot", "--register-with-taints=spot=true:PreferNoSchedule", "--max-pods=20", /m;
    expect(r.stderr).toMatch(warning);
    expect(r.stderr).toMatch(
      /^eks-node-agent: warning: spec\.kubelet\.flags\[1\]: "--node-labels=\\"pool=general\\"" is read as the flag "--node-labels=pool=general", /m,
    );
    expect(n.read('/etc/eks/kubelet/environment')).toMatch(
      / --node-labels=lifecycle=spot --register-with-taints=spot=true:PreferNoSchedule --max-pods=20 --node-labels=pool=general"$/m,
    );
    // the reserved memory follows the --max-pods the kubelet will run with, as for a flag of its own
    expect(kubeletConfig(n).kubeReserved.memory).toBe(`${255 + 11 * 20}Mi`);
    const check = await n.agent(['config', 'check']);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toMatch(/^error: spec\.kubelet\.flags\[0\]: .* is read as 3 flags, /m);
  });

  it('writes containerd config version 2 for containerd 1.7 and version 3 for 2.x', async () => {
    const n = await boot(complete());
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(n.read('/etc/containerd/config.toml')).toMatch(/^version = 2$/m);
    const n2 = await startNode({ imds: { userData: complete() }, containerdVersion: '2.1.0' });
    try {
      await n2.agent(['init', '--root', n2.root, '--skip', 'run']);
      expect(n2.read('/etc/containerd/config.toml')).toMatch(/^version = 3$/m);
    } finally {
      await n2.close();
    }
  });

  it('uses the pause image the AMI baked and pinned, else the regional one', async () => {
    const n = await boot(complete());
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(n.read('/etc/containerd/config.toml')).toContain('sandbox_image = "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.10"');
    writeFileSync(join(n.root, 'etc/eks/sandbox-image.txt'), 'localhost/kubernetes/pause:latest\n');
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(n.read('/etc/containerd/config.toml')).toContain('sandbox_image = "localhost/kubernetes/pause:latest"');
  });

  it('keeps config_path for registry mirrors and merges the user containerd TOML', async () => {
    const toml = '[plugins."io.containerd.grpc.v1.cri".containerd]\ndiscard_unpacked_layers = false\n';
    const n = await boot(complete({ containerd: { config: toml } }));
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    const config = n.read('/etc/containerd/config.toml');
    expect(config).toContain('config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"');
    expect(config).toContain('discard_unpacked_layers = false');
    expect(config).toContain('SystemdCgroup = true');
  });

  it('is idempotent: a second init rewrites nothing and restarts nothing', async () => {
    const n = await boot(complete());
    expect((await n.agent(['init', '--root', n.root])).exitCode).toBe(0);
    const first = n.snapshot();
    const calls = n.systemctlCalls().length;
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/write \d+ ms \(0 changed, 7 unchanged\)/);
    expect(n.snapshot()).toEqual(first);
    expect(
      n
        .systemctlCalls()
        .slice(calls)
        .filter((c) => c.startsWith('restart')),
    ).toEqual([]);
  });

  it("signs with the instance role's credentials read beside the facts, on the IMDS token it already has, and keeps them out of the answers file", async () => {
    const n = await boot(nameOnly);
    const home = join(n.root, 'root');
    mkdirSync(home, { recursive: true });
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', HOME: home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/note:/);
    expect(n.eks.requests.map((q) => q.accessKeyId)).toEqual(['ASIAEMULATEDIMDS0001']);
    // one token for the whole run: the SDK's chain (which takes its own) was not needed
    expect(n.imds.requests.filter((q) => q.method === 'PUT').map((q) => q.path)).toEqual(['/latest/api/token']);
    expect(n.imds.count('/latest/meta-data/iam/security-credentials/eks-node-role')).toBe(1);
    // the run phase's copy of the IMDS answers holds no credentials
    expect(n.read(IMDS_ANSWERS_PATH)).not.toMatch(/security-credentials/);
    // with another source in the environment (a shared credentials file) the SDK's chain decides
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws/credentials'), '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n');
    rmSync(join(n.root, 'var/lib/eks-node-agent/cluster.json'));
    const before = n.imds.requests.length;
    const again = await n.agent(['init', '--dry-run', '--root', n.root], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', HOME: home });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(n.eks.requests.map((q) => q.accessKeyId)).toEqual(['ASIAEMULATEDIMDS0001', 'AKIDFROMFILE']);
    expect(n.imds.requests.slice(before).filter((q) => q.path.includes('security-credentials'))).toEqual([]);
  });

  it('retries a throttled DescribeCluster and succeeds', async () => {
    const n = await boot(nameOnly, { eks: { throttleFirst: 2 } });
    const r = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(r.exitCode).toBe(0);
    expect(n.eks.requests.map((q) => q.status)).toEqual([429, 429, 200]);
  });

  it("waits for the instance role's credentials when IMDS has none yet (a first boot), saying so, and joins", async () => {
    const n = await boot(nameOnly);
    const role = 'iam/security-credentials/eks-node-role';
    const token = await (await fetch(`${n.imds.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const answer = await (await fetch(`${n.imds.url}/latest/meta-data/${role}`, { headers: { 'x-aws-ec2-metadata-token': token } })).text();
    n.imds.setMetaData(role, null);
    const back = setTimeout(() => n.imds.setMetaData(role, answer), 1_500);
    try {
      const r = await n.agent(['init', '--skip', 'run', '--root', n.root], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^eks-node-agent: note: eks:DescribeCluster for cluster "test-cluster": no AWS credentials yet \(/m);
      expect(n.eks.requests.map((q) => q.accessKeyId)).toEqual(['ASIAEMULATEDIMDS0001']);
      expect(JSON.parse(n.read('/var/lib/eks-node-agent/cluster.json')).name).toBe('test-cluster');
    } finally {
      clearTimeout(back);
    }
  });

  it('fails with exit 2 naming eks:DescribeCluster and the cluster when access is denied, leaving old files intact', async () => {
    const n = await boot(complete());
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    const before = n.snapshot();
    n.imds.setUserData(nameOnly.replace('test-cluster', 'other-cluster'));
    n.eks.set({ accessDenied: true });
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: eks:DescribeCluster for cluster "other-cluster" failed: AccessDeniedException/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(n.snapshot()).toEqual(before);
  });

  it('--dry-run prints the plan and writes and starts nothing', async () => {
    const n = await boot(complete());
    const before = n.snapshot();
    const r = await n.agent(['init', '--root', n.root, '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^file 0644 +\d+ \/etc\/kubernetes\/kubelet\/config\.json$/m);
    expect(r.stdout).toMatch(/^unit systemctl restart containerd\.service/m);
    expect(n.snapshot()).toEqual(before);
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('--dry-run with name-only user data lists the cluster cache and writes nothing, not even it', async () => {
    const n = await boot(nameOnly);
    const before = n.snapshot();
    const r = await n.agent(['init', '--root', n.root, '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^file 0644 +\d+ \/var\/lib\/eks-node-agent\/cluster\.json$/m);
    expect(n.snapshot()).toEqual(before);
    expect(n.eks.requests).toHaveLength(1);
  });

  it('runs the phases separately, as the two systemd units do; the run phase asks IMDS nothing the config phase asked', async () => {
    const n = await boot(complete());
    expect((await n.agent(['init', '--root', n.root, '--skip', 'run'])).exitCode).toBe(0);
    expect(n.systemctlCalls()).toEqual([]);
    // the config phase kept its IMDS answers for the run phase, readable by root only (user data may hold secrets)
    expect(statSync(join(n.root, IMDS_ANSWERS_PATH)).mode & 0o777).toBe(0o600);
    const configRequests = n.imds.requests.length;
    const run = await n.agent(['init', '--root', n.root, '--skip', 'config']);
    expect(run.exitCode).toBe(0);
    expect(n.systemctlCalls()).toContain('restart kubelet.service');
    // the user data comes from the kept answers, its facts from the run-phase state
    expect(n.imds.requests.slice(configRequests)).toEqual([]);
    expect(run.stderr).toMatch(/run phase: 1 IMDS answer kept by the config phase \(\/run\/eks-node-agent\/imds-answers\.json\), 0 asked of IMDS\n/);
  });

  it('boots on when the IMDS answers cannot be kept: a warning, and the run phase asks IMDS', async () => {
    const n = await boot(complete());
    mkdirSync(join(n.root, IMDS_ANSWERS_PATH), { recursive: true }); // a directory where the file goes
    const config = await n.agent(['init', '--root', n.root, '--skip', 'run']);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr).toMatch(/warning: keeping the IMDS answers for the run phase: .*EISDIR/);
    const before = n.imds.requests.length;
    const run = await n.agent(['init', '--root', n.root, '--skip', 'config']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`note: ${IMDS_ANSWERS_PATH}: EISDIR`);
    expect(n.imds.requests.slice(before).map((q) => q.path)).toContain('/latest/user-data');
  });

  it('asks IMDS again when the kept answers are damaged or were kept for another IMDS, and says so', async () => {
    const n = await boot(complete());
    expect((await n.agent(['init', '--root', n.root, '--skip', 'run'])).exitCode).toBe(0);
    const file = join(n.root, IMDS_ANSWERS_PATH);
    const kept = readFileSync(file, 'utf8');
    for (const [content, problem] of [
      ['{"version":1,"endpoint"', 'not JSON'],
      ['{"version":2,"answers":{}}\n', 'not a file written by this agent'],
      [kept.replace(/"endpoint":"[^"]+"/, '"endpoint":"http://169.254.169.254"'), 'kept for IMDS at http://169.254.169.254, not http://127.0.0.1:'],
    ] as const) {
      writeFileSync(file, content);
      const before = n.imds.requests.length;
      const run = await n.agent(['init', '--root', n.root, '--skip', 'config']);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain(`note: ${IMDS_ANSWERS_PATH}: ${problem}`);
      expect(run.stderr).not.toMatch(/IMDS answers? kept by the config phase/);
      expect(n.imds.requests.slice(before).map((q) => q.path)).toContain('/latest/user-data');
    }
  });
});
