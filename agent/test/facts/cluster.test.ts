import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEksApi, type EksApi } from '../../src/aws/eks.js';
import { BOARD_ASSET_TAG_PATH, CLUSTER_CACHE_PATH, clusterNeedsEks, resolveCluster } from '../../src/facts/cluster.js';
import { missingClusterFields } from '../../src/api/validate.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import {
  TEST_CLUSTER_CA_BASE64,
  TEST_CLUSTER_ENDPOINT as EMULATED_ENDPOINT,
  startEks,
  type EksEmulator,
  type EksOptions,
} from '../../../test/emulators/eks.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
let eks: EksEmulator | undefined;
afterEach(async () => {
  await eks?.close();
  eks = undefined;
});

async function setUp(options: EksOptions = {}): Promise<{ eks: EksApi }> {
  eks = await startEks(options);
  return { eks: createEksApi({ region: 'us-west-2', endpoint: eks.url, credentials, timeoutMs: 3_000, maxAttempts: 3 }) };
}

const complete = {
  name: 'prod',
  apiServerEndpoint: 'https://user.example.com',
  certificateAuthority: TEST_CLUSTER_CA_BASE64,
  cidr: '172.20.0.0/16',
};
const fromEks = { name: 'prod', apiServerEndpoint: EMULATED_ENDPOINT, certificateAuthority: TEST_CLUSTER_CA_BASE64, cidr: '10.100.0.0/16' };
/** the emulator describes every cluster as Kubernetes 1.33 */
const VERSION = '1.33';
const cacheOf = (c: typeof fromEks) => ({ path: CLUSTER_CACHE_PATH, mode: 0o644, content: `${JSON.stringify({ ...c, version: VERSION }, null, 2)}\n` });

describe('resolveCluster', () => {
  it('makes no call when the user data is complete', async () => {
    const deps = await setUp();
    const out = await resolveCluster({ ...complete, enableOutpost: false }, deps);
    expect(out).toEqual({ cluster: { ...complete, enableOutpost: false }, fetched: [], origin: 'user data', warnings: [] });
    expect(eks!.requests).toHaveLength(0);
  });

  it('fills endpoint, CA and CIDR from DescribeCluster for a name-only config', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const out = await resolveCluster({ name: 'prod' }, deps);
    expect(out).toEqual({
      cluster: fromEks,
      fetched: ['apiServerEndpoint', 'certificateAuthority', 'cidr'],
      origin: 'eks:DescribeCluster',
      warnings: [],
      version: VERSION,
      cacheFile: cacheOf(fromEks),
    });
    expect(eks!.requests.map((r) => r.clusterName)).toEqual(['prod']);
  });

  it('keeps what the user gave and fetches only the rest', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const out = await resolveCluster({ name: 'prod', apiServerEndpoint: complete.apiServerEndpoint, cidr: complete.cidr }, deps);
    expect(out.fetched).toEqual(['certificateAuthority']);
    expect(out.cluster).toEqual(complete);
  });

  it('takes the IPv6 service CIDR of an IPv6 cluster', async () => {
    const deps = await setUp({ clusters: { six: { ipFamily: 'ipv6', serviceIpv6Cidr: 'fd00::/108' } } });
    expect((await resolveCluster({ name: 'six' }, deps)).cluster.cidr).toBe('fd00::/108');
  });

  it('retries through throttling', async () => {
    const deps = await setUp({ clusters: { prod: {} }, throttleFirst: 1 });
    expect((await resolveCluster({ name: 'prod' }, deps)).fetched).toHaveLength(3);
    expect(eks!.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('passes on access denied as an environment error naming the call and the cluster', async () => {
    const deps = await setUp({ accessDenied: true });
    const err = await resolveCluster({ name: 'prod' }, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^eks:DescribeCluster for cluster "prod" failed: AccessDeniedException/);
  });

  it('says what a cluster still being created lacks', async () => {
    const deps = await setUp({ clusters: { young: { status: 'CREATING', endpoint: '' } } });
    await expect(resolveCluster({ name: 'young' }, deps)).rejects.toThrow(
      'eks:DescribeCluster for cluster "young" gave no apiServerEndpoint (cluster status CREATING)',
    );
  });

  it('needs a cluster name', async () => {
    const fake: EksApi = {
      describeCluster: () => {
        throw new Error('not expected');
      },
    };
    const err = await resolveCluster(undefined, { eks: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('spec.cluster.name: required field is missing (expected the EKS cluster name)');
  });
});

describe('resolveCluster: the cached answer and what EKS answers', () => {
  const roots: string[] = [];
  const root = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-cache-'));
    roots.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const writeCache = (dir: string, content: unknown) => {
    mkdirSync(join(dir, 'var/lib/eks-node-agent'), { recursive: true });
    writeFileSync(join(dir, CLUSTER_CACHE_PATH), typeof content === 'string' ? content : JSON.stringify(content));
  };

  it('uses a valid cached answer without calling EKS, and plans it again (writing nothing itself)', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    writeCache(dir, { ...fromEks, version: VERSION });
    const out = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(out).toMatchObject({ cluster: fromEks, origin: 'cached answer', cacheFile: cacheOf(fromEks), warnings: [], version: VERSION });
    expect(eks!.requests).toHaveLength(0);
  });

  it("trusts a cached answer only on the instance that wrote it: another instance's (an image made from a node) is discarded and EKS asked", async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    writeCache(dir, { ...fromEks, instanceId: 'i-0aaaaaaaaaaaaaaaa' });
    const same = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir, instanceId: 'i-0aaaaaaaaaaaaaaaa' });
    expect(same).toMatchObject({ origin: 'cached answer', warnings: [] });
    expect(JSON.parse(same.cacheFile!.content).instanceId).toBe('i-0aaaaaaaaaaaaaaaa');
    expect(eks!.requests).toHaveLength(0);
    // the same file on an instance launched from an image made from that node
    const other = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir, instanceId: 'i-0bbbbbbbbbbbbbbbb' });
    expect(other).toMatchObject({ origin: 'eks:DescribeCluster' });
    expect(other.warnings).toEqual([
      `${CLUSTER_CACHE_PATH}: written on instance i-0aaaaaaaaaaaaaaaa, not on this one (i-0bbbbbbbbbbbbbbbb), as when an image is made from a node; discarded, asking eks:DescribeCluster`,
    ]);
    expect(JSON.parse(other.cacheFile!.content).instanceId).toBe('i-0bbbbbbbbbbbbbbbb');
    expect(eks!.requests).toHaveLength(1);
    // a cache that names no instance, where this one is known, is not trusted either
    writeCache(dir, fromEks);
    const unnamed = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir, instanceId: 'i-0bbbbbbbbbbbbbbbb' });
    expect(unnamed.warnings[0]).toMatch(/written without the instance it was written on, not on this one \(i-0bbbbbbbbbbbbbbbb\)/);
    expect(eks!.requests).toHaveLength(2);
  });

  it("uses an older agent's cache without a version as it is, and keeps no version that is not a minor", async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    writeCache(dir, fromEks);
    const old = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(old).toMatchObject({ origin: 'cached answer', warnings: [] });
    expect(old).not.toHaveProperty('version');
    expect(JSON.parse(old.cacheFile!.content)).toEqual(fromEks);
    writeCache(dir, { ...fromEks, version: 'v1.33.2; rm -rf' });
    const odd = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(odd).not.toHaveProperty('version');
    expect(eks!.requests).toHaveLength(0);
  });

  it('takes the version from a --cluster file, and refuses one that is not a minor', async () => {
    const out = await resolveCluster({ name: 'prod' }, { file: { path: 'c.json', description: { ...fromEks, version: '1.31' } } });
    expect(out).toMatchObject({ origin: 'cluster file', version: '1.31' });
    const err = await resolveCluster({ name: 'prod' }, { file: { path: 'c.json', description: { ...fromEks, version: 'v1.31.2' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toEqual([
      '--cluster c.json: version: "v1.31.2" is not a Kubernetes minor (expected e.g. "1.33", as eks:DescribeCluster gives it)',
    ]);
  });

  it('asks EKS when there is no cache, and leaves writing the cache to the plan', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    const out = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(out.origin).toBe('eks:DescribeCluster');
    expect(out.cacheFile).toEqual(cacheOf(fromEks));
    expect(() => readFileSync(join(dir, CLUSTER_CACHE_PATH))).toThrow(/ENOENT/);
  });

  it('discards a cache that fails the rules and asks EKS again', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    writeCache(dir, { ...fromEks, cidr: '10.100.0.0/29' });
    const out = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(out.origin).toBe('eks:DescribeCluster');
    expect(out.cluster).toEqual(fromEks);
    expect(out.warnings).toEqual([
      expect.stringMatching(/^\/var\/lib\/eks-node-agent\/cluster\.json: cidr: "10\.100\.0\.0\/29" is too small .*; discarded, asking eks:DescribeCluster$/),
    ]);
    expect(eks!.requests).toHaveLength(1);
  });

  it('discards a damaged cache whose values are not strings, naming each, and asks EKS again', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    writeCache(dir, { ...fromEks, apiServerEndpoint: 5, id: { a: 1 } } as unknown as typeof fromEks);
    const out = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(out.origin).toBe('eks:DescribeCluster');
    expect(out.cluster).toEqual(fromEks);
    expect(out.warnings).toEqual([
      '/var/lib/eks-node-agent/cluster.json: apiServerEndpoint: 5 is not a string; id: {"a":1} is not a string; discarded, asking eks:DescribeCluster',
    ]);
  });

  it('discards a cache whose value is nested past what JSON can write back, naming it, and asks EKS again', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const dir = root();
    // JSON.parse reads this; JSON.stringify overflows its stack on it
    const depth = 200_000;
    writeCache(dir, JSON.stringify({ ...fromEks, cidr: 0 }).replace('"cidr":0', `"cidr":${'['.repeat(depth)}${']'.repeat(depth)}`));
    const out = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(out.origin).toBe('eks:DescribeCluster');
    expect(out.cluster).toEqual(fromEks);
    expect(out.warnings).toEqual([
      '/var/lib/eks-node-agent/cluster.json: cidr: (a value nested too deep to show) is not a string; discarded, asking eks:DescribeCluster',
    ]);
  });

  it.each([
    ['an http endpoint', { endpoint: 'http://insecure.example.com' }, /apiServerEndpoint: "http:\/\/insecure\.example\.com" is not an https URL/],
    ['an endpoint with user info', { endpoint: 'https://admin:pw@x.example.com' }, /apiServerEndpoint: .* is not just a scheme, host and port/],
    ['a CIDR too small for the DNS address', { serviceIpv4Cidr: '10.100.0.0/29' }, /cidr: "10\.100\.0\.0\/29" is too small/],
  ])('refuses and never caches an answer with %s, saying the value came from EKS', async (_what, cluster, message) => {
    const deps = await setUp({ clusters: { prod: cluster } });
    const err = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: root() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^eks:DescribeCluster for cluster "prod" answered values the agent refuses \(not cached\): /);
    expect((err as Error).message).toMatch(message);
  });

  it('knows before resolving whether EKS will be asked: not for a cache of this cluster, yes for a cache of another or a damaged one', () => {
    const dir = root();
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(true);
    expect(clusterNeedsEks(complete, dir)).toBe(false);
    writeCache(dir, { ...fromEks, instanceId: 'i-0123456789abcdef0' });
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(false);
    // the cache of another cluster (an image made from a joined node) is not this one's answer
    expect(clusterNeedsEks({ name: 'staging' }, dir)).toBe(true);
    // a Nitro instance's firmware names it: the cache of another instance is discarded, so EKS is asked
    mkdirSync(join(dir, dirname(BOARD_ASSET_TAG_PATH)), { recursive: true });
    writeFileSync(join(dir, BOARD_ASSET_TAG_PATH), 'i-0fedcba9876543210\n');
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(true);
    writeFileSync(join(dir, BOARD_ASSET_TAG_PATH), 'i-0123456789abcdef0\n');
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(false);
    // a tag that is no instance id (another hypervisor's, or none) says nothing
    writeFileSync(join(dir, BOARD_ASSET_TAG_PATH), 'Not Specified\n');
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(false);
    // an answer naming no instance (an older agent's, or an image's) is discarded too
    writeCache(dir, fromEks);
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(true);
    writeCache(dir, { ...fromEks, cidr: '' });
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(true);
    writeCache(dir, '{"name": "prod", ');
    expect(clusterNeedsEks({ name: 'prod' }, dir)).toBe(true);
  });

  it('judges a --cluster file by the same rules, naming the file and its key', async () => {
    const err = await resolveCluster({ name: 'prod' }, { file: { path: 'c.json', description: { ...fromEks, cidr: 'fd00::/125' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toEqual([expect.stringMatching(/^--cluster c\.json: serviceCidr: "fd00::\/125" is too small/)]);
  });
});

describe('resolveCluster: a local cluster (control plane on an Outpost)', () => {
  const ID = 'a1b2c3d4-5678-90ab-cdef-0123456789ab';
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("takes the local-cluster id from EKS when the user data is silent, and caches it; a regional cluster's answer has none", async () => {
    const deps = await setUp({ clusters: { prod: { localClusterId: ID }, regional: {} } });
    const out = await resolveCluster({ name: 'prod' }, deps);
    expect(out.cluster).toEqual({ ...fromEks, enableOutpost: true, id: ID });
    expect(out.warnings).toEqual([]);
    expect(JSON.parse(out.cacheFile!.content)).toEqual({ ...fromEks, id: ID, version: VERSION });
    // the next boot reads the same from the cache, without asking
    const dir = mkdtempSync(join(tmpdir(), 'cluster-cache-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'var/lib/eks-node-agent'), { recursive: true });
    writeFileSync(join(dir, CLUSTER_CACHE_PATH), out.cacheFile!.content);
    const cached = await resolveCluster({ name: 'prod' }, { ...deps, cacheRoot: dir });
    expect(cached).toMatchObject({ origin: 'cached answer', cluster: { enableOutpost: true, id: ID } });
    expect(eks!.requests).toHaveLength(1);
    const regional = await resolveCluster({ name: 'regional' }, deps);
    expect(regional.cluster).not.toHaveProperty('enableOutpost');
    expect(regional.cluster).not.toHaveProperty('id');
  });

  it('keeps what the user data says and warns where the answer contradicts it', async () => {
    const deps = await setUp({ clusters: { prod: { localClusterId: ID }, regional: {} } });
    const off = await resolveCluster({ name: 'prod', enableOutpost: false }, deps);
    expect(off.cluster).toEqual({ ...fromEks, enableOutpost: false });
    expect(off.warnings).toEqual([
      `spec.cluster.enableOutpost: false, but eks:DescribeCluster gives cluster "prod" the local-cluster id ${ID}: the kubelet keeps IAM tokens, which fail while the Outpost is cut off from its Region`,
    ]);
    const otherId = await resolveCluster({ name: 'prod', enableOutpost: true, id: 'e5f6' }, deps);
    expect(otherId.cluster).toMatchObject({ enableOutpost: true, id: 'e5f6' });
    expect(otherId.warnings).toEqual([`spec.cluster.id: "e5f6" is not the id eks:DescribeCluster gives (${ID}); the user data's is used`]);
    const notLocal = await resolveCluster({ name: 'regional', enableOutpost: true, id: 'e5f6' }, deps);
    expect(notLocal.cluster).toMatchObject({ enableOutpost: true, id: 'e5f6' });
    expect(notLocal.warnings).toEqual([
      'spec.cluster.enableOutpost: true, but eks:DescribeCluster gives cluster "regional" no local-cluster id (its control plane is not on an Outpost)',
    ]);
  });

  it('reads the id from a --cluster file as render does', async () => {
    const out = await resolveCluster({ name: 'prod' }, { file: { path: 'c.json', description: { ...fromEks, id: ID } } });
    expect(out).toMatchObject({ origin: 'cluster file', cluster: { enableOutpost: true, id: ID }, warnings: [] });
  });
});

describe('missingClusterFields', () => {
  it('lists the missing fields in a fixed order', () => {
    expect(missingClusterFields(undefined)).toEqual(['apiServerEndpoint', 'certificateAuthority', 'cidr']);
    expect(missingClusterFields({ name: 'x', cidr: '10.0.0.0/16' })).toEqual(['apiServerEndpoint', 'certificateAuthority']);
    expect(missingClusterFields(complete)).toEqual([]);
  });
});
