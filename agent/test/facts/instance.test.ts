import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Api } from '../../src/aws/ec2.js';
import { createImds, IPV6_IMDS_ENDPOINT, type Imds } from '../../src/aws/imds.js';
import { gatherInstanceFacts, nodeNameSource } from '../../src/facts/instance.js';
import type { Exec } from '../../src/facts/versions.js';
import { EnvironmentError } from '../../src/errors.js';
import { startImds, type ImdsEmulator, type ImdsOptions } from '../../../test/emulators/imds.js';
import { startEc2 } from '../../../test/emulators/ec2.js';
import { populateNodeRoot, tempRoot, type TempRoot } from './root.js';

let imds: ImdsEmulator | undefined;
let root: TempRoot | undefined;
afterEach(async () => {
  await imds?.close();
  await root?.remove();
  imds = undefined;
  root = undefined;
});

const noExec: Exec = (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

async function setUp(options: ImdsOptions = {}) {
  imds = await startImds(options);
  root = await tempRoot();
  await populateNodeRoot(root);
  return { imds: createImds({ endpoint: imds.url, totalTimeoutMs: 3_000 }), root: root.dir, exec: noExec };
}

describe('gatherInstanceFacts', () => {
  it('combines IMDS identity and addresses with the machine files', async () => {
    const facts = await gatherInstanceFacts(await setUp());
    expect(facts).toEqual({
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm5.large',
      region: 'us-west-2',
      availabilityZone: 'us-west-2a',
      mac: '0e:12:34:56:78:9a',
      privateIpv4: '10.0.1.23',
      privateDnsName: 'ip-10-0-1-23.us-west-2.compute.internal',
      cpuMillicores: 2000,
      memoryMiB: 7725,
      kubeletVersion: 'v1.33.1',
      containerdVersion: '1.7.27',
    });
    // one token for the whole run
    expect(imds!.count('/latest/api/token')).toBe(1);
    // the primary interface was asked for IPv6 addresses and had none
    expect(imds!.requests).toContainEqual(expect.objectContaining({ path: '/latest/meta-data/network/interfaces/macs/0e:12:34:56:78:9a/ipv6s', status: 404 }));
  });

  it('takes the first IPv6 of the primary interface and the first of several host names', async () => {
    const facts = await gatherInstanceFacts(
      await setUp({
        instance: { instanceType: 'c5.large', mac: '02:00:00:00:00:01' },
        metaData: {
          'network/interfaces/macs/02:00:00:00:00:01/ipv6s': '2600:1f14:abc::10\n2600:1f14:abc::11',
          'local-hostname': 'ip-10-0-1-23.ec2.internal ip-10-0-1-23.corp.example',
        },
      }),
    );
    expect(facts.ipv6).toBe('2600:1f14:abc::10');
    expect(facts.privateDnsName).toBe('ip-10-0-1-23.ec2.internal');
    expect(facts.instanceType).toBe('c5.large');
  });

  it('leaves the IPv6 address unasked when told the cluster does not need it', async () => {
    const deps = await setUp({ instance: { ipv6: '2600:1f14:abc::10' } });
    const facts = await gatherInstanceFacts({ ...deps, ipv6: false });
    expect(facts.ipv6).toBeUndefined();
    expect(imds!.requests.filter((q) => q.path.endsWith('/ipv6s'))).toEqual([]);
  });

  it('asks IMDS concurrently', async () => {
    // 250 ms per answer: token, then identity/mac/ipv4/hostname together, then ipv6s after mac
    // (3 x 250 ms). Asked one after another it would be 6 x 250 ms.
    const deps = await setUp({ responseDelayMs: 250 });
    const started = Date.now();
    await gatherInstanceFacts(deps);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(740);
    expect(elapsed).toBeLessThan(1_200);
  });

  it.each([
    ['ip-10-0-1-23.us-west-2.compute.internal', 'us-west-2', 'local-hostname'],
    ['i-0123456789abcdef0.us-west-2.compute.internal', 'us-west-2', 'local-hostname'],
    ['ip-10-0-1-23.ec2.internal', 'us-east-1', 'local-hostname'],
    ['IP-10-0-1-23.US-WEST-2.COMPUTE.INTERNAL', 'us-west-2', 'local-hostname'],
    ['ip-10-0-1-23.eu-west-1.compute.internal', 'us-west-2', 'ec2:DescribeInstances'],
    ['ip-10-0-1-23.corp.example', 'us-west-2', 'ec2:DescribeInstances'],
    ['ip-10-0-1-23', 'us-west-2', 'ec2:DescribeInstances'],
    [undefined, 'us-west-2', 'ec2:DescribeInstances'],
  ] as const)('node name of local-hostname %s in %s: from %s', (hostname, region, source) => {
    expect(nodeNameSource(hostname, region)).toBe(source);
    expect(nodeNameSource(hostname, region, true)).toBe('instance-id');
  });

  it('asks the fallback for a custom DHCP domain, and nothing with InstanceIdNodeName', async () => {
    const deps = await setUp({ metaData: { 'local-hostname': 'ip-10-0-1-23.corp.example' } });
    const asked: Array<string | undefined> = [];
    const privateDnsNameFallback = async (_id: string, _region: string, hostname: string | undefined) => {
      asked.push(hostname);
      return 'ip-10-0-1-23.us-west-2.compute.internal';
    };
    expect((await gatherInstanceFacts({ ...deps, privateDnsNameFallback })).privateDnsName).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(asked).toEqual(['ip-10-0-1-23.corp.example']);
    const byId = await gatherInstanceFacts({ ...deps, privateDnsNameFallback, instanceIdNodeName: true });
    expect(byId.privateDnsName).toBe('ip-10-0-1-23.corp.example');
    expect(asked).toHaveLength(1);
  });

  it('uses the injected fallback only when IMDS has no local-hostname', async () => {
    const deps = await setUp({ metaData: { 'local-hostname': null } });
    const asked: string[] = [];
    const facts = await gatherInstanceFacts({
      ...deps,
      privateDnsNameFallback: async (id, region) => {
        asked.push(`${id}@${region}`);
        return 'ip-10-0-1-23.us-west-2.compute.internal';
      },
    });
    expect(asked).toEqual(['i-0123456789abcdef0@us-west-2']);
    expect(facts.privateDnsName).toBe('ip-10-0-1-23.us-west-2.compute.internal');

    const err = await gatherInstanceFacts(deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/meta-data\/local-hostname: not found/);
  });

  it('can take the node name from ec2:DescribeInstances (emulated) when IMDS has none', async () => {
    const deps = await setUp({ metaData: { 'local-hostname': null } });
    const ec2 = await startEc2();
    try {
      const api = createEc2Api({ region: 'us-west-2', endpoint: ec2.url, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
      const facts = await gatherInstanceFacts({ ...deps, privateDnsNameFallback: (id) => api.describeInstancePrivateDnsName(id) });
      expect(facts.privateDnsName).toBe('ip-10-0-1-23.us-west-2.compute.internal');
      expect(ec2.requests.map((r) => r.action)).toEqual(['DescribeInstances']);
    } finally {
      await ec2.close();
    }
  });

  it('fails naming the IMDS path when a required one is missing', async () => {
    const deps = await setUp({ metaData: { mac: null } });
    await expect(gatherInstanceFacts(deps)).rejects.toThrow(/latest\/meta-data\/mac: not found \(404\)/);
  });

  it('refuses an identity document whose region names no host, with the words doctor and the kept answers use', async () => {
    const deps = await setUp({ instance: { region: 'us west 2' } });
    const err = await gatherInstanceFacts(deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toBe('IMDS dynamic/instance-identity/document: region "us west 2" is not a region name (expected e.g. "us-west-2")');
  });

  it('an instance without IPv4 (IMDS has no local-ipv4): the facts have no privateIpv4, and render judges it against the CIDR', async () => {
    const facts = await gatherInstanceFacts(await setUp({ metaData: { 'local-ipv4': null } }));
    expect(facts).not.toHaveProperty('privateIpv4');
    expect(facts.instanceId).toBe('i-0123456789abcdef0');
  });

  it("records that IMDS answered at EC2's IPv6 endpoint, by fallback or by mode, and only then", async () => {
    const deps = await setUp({ metaData: { 'local-ipv4': null } });
    expect(await gatherInstanceFacts(deps)).not.toHaveProperty('imdsOverIpv6');
    // the emulator on loopback stands in for http://[fd00:ec2::254], which this machine cannot serve
    const client = deps.imds;
    const answeredAt = (served: Partial<Pick<Imds, 'endpoint' | 'servedBy'>>): Imds => ({
      endpoint: served.endpoint ?? client.endpoint,
      ...(served.servedBy ? { servedBy: served.servedBy } : {}),
      get: (path) => client.get(path),
      getOptional: (path) => client.getOptional(path),
      getBytesOptional: (path) => client.getBytesOptional(path),
    });
    // 169.254.169.254 had no route and the fallback answered
    expect((await gatherInstanceFacts({ ...deps, imds: answeredAt({ endpoint: 'http://169.254.169.254', servedBy: IPV6_IMDS_ENDPOINT }) })).imdsOverIpv6).toBe(
      true,
    );
    // AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 told the agent to ask there
    expect((await gatherInstanceFacts({ ...deps, imds: answeredAt({ endpoint: IPV6_IMDS_ENDPOINT }) })).imdsOverIpv6).toBe(true);
    // another endpoint (an override) says nothing of the kubelet's IMDS
    expect(await gatherInstanceFacts({ ...deps, imds: answeredAt({ endpoint: 'http://[fd00:1::1]:8080' }) })).not.toHaveProperty('imdsOverIpv6');
  });

  it('fails naming the machine file when one is missing', async () => {
    const deps = await setUp();
    await root!.write('/proc/meminfo', 'nothing useful\n');
    await expect(gatherInstanceFacts(deps)).rejects.toThrow(/proc\/meminfo: no "MemTotal/);
  });
});
