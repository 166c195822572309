import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startNode, type SimulatedNode } from '../support/node.js';
import { createTestCa, issueServerCert, type TestCert } from '../support/pki.js';
import { nodeConfig } from '../support/user-data.js';

/*
 * Name-only boots in the partitions beside the commercial one (China, GovCloud, the European
 * Sovereign Cloud, an isolated region): the region comes from IMDS alone, and everything the
 * partition changes must follow it. The EKS call goes to the host the AWS SDK's rules name for
 * the region (seen at a CONNECT proxy double that sends it on to the EKS emulator, serving a
 * certificate for that name), signed for the region; the node name is IMDS's local-hostname,
 * <region>.compute.internal being EC2's own domain there too; containerd pins the pause image
 * from the region's EKS registry; and the kubelet's ECR credential provider is asked for that
 * registry. The hosts, accounts and domains are AWS's published ones, written out here.
 */

interface Partition {
  region: string;
  eksHost: string;
  /** the pause image containerd pins, or undefined where the EKS user guide publishes no registry */
  pauseImage?: string;
  registryHost: string;
}

const PARTITIONS: Partition[] = [
  {
    region: 'cn-north-1',
    eksHost: 'eks.cn-north-1.amazonaws.com.cn',
    pauseImage: '918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/eks/pause:3.10',
    registryHost: '918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn',
  },
  {
    region: 'us-gov-west-1',
    eksHost: 'eks.us-gov-west-1.amazonaws.com',
    pauseImage: '013241004608.dkr.ecr.us-gov-west-1.amazonaws.com/eks/pause:3.10',
    registryHost: '013241004608.dkr.ecr.us-gov-west-1.amazonaws.com',
  },
  {
    region: 'eusc-de-east-1',
    eksHost: 'eks.eusc-de-east-1.amazonaws.eu',
    pauseImage: '877088126301.dkr.ecr.eusc-de-east-1.amazonaws.eu/eks/pause:3.10',
    registryHost: '877088126301.dkr.ecr.eusc-de-east-1.amazonaws.eu',
  },
  // the isolated regions' EKS registries are not in the public list: the registry's family only
  { region: 'us-iso-east-1', eksHost: 'eks.us-iso-east-1.c2s.ic.gov', registryHost: '111122223333.dkr.ecr.us-iso-east-1.c2s.ic.gov' },
];

/** Whether the kubelet's credential provider is asked for `host`: a matchImages pattern, `*` standing for one whole or partial DNS label. */
function matches(pattern: string, host: string): boolean {
  const [p, h] = [pattern.split('.'), host.split('.')];
  if (p.length !== h.length) return false;
  return p.every((label, i) =>
    new RegExp(
      `^${label
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
        .join('[^.]*')}$`,
    ).test(h[i]!),
  );
}

let ca: TestCert;
let dir: string;
let node: SimulatedNode | undefined;
let proxy: ConnectProxy | undefined;
beforeAll(async () => {
  ca = await createTestCa();
  dir = mkdtempSync(join(tmpdir(), 'eks-node-partitions-'));
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all([node?.close(), proxy?.close()]);
  node = proxy = undefined;
});

describe('a name-only boot in each partition', () => {
  for (const p of PARTITIONS) {
    it(`${p.region}: EKS at ${p.eksHost}, signed for the region; the node named by IMDS; the registry's pause image and credentials`, async () => {
      const hosts: Record<string, string> = {};
      proxy = await startConnectProxy({ hosts });
      const az = `${p.region}a`;
      const dnsName = `ip-10-0-1-23.${p.region}.compute.internal`;
      node = await startNode({
        imds: {
          instance: { region: p.region, availabilityZone: az, privateDnsName: dnsName },
          userData: nodeConfig({
            cluster: { name: 'test-cluster' },
            instance: { environment: { default: { HTTPS_PROXY: proxy.url, AWS_CA_BUNDLE: join(dir, 'ca.crt') } } },
          }),
        },
        eks: { tls: await issueServerCert(ca, { sans: [`DNS:${p.eksHost}`] }) },
      });
      hosts[p.eksHost] = `127.0.0.1:${new URL(node.eks.url).port}`;
      // no endpoint override: the call goes where the SDK's rules send it for the region
      const r = await node.agent(['init', '--skip', 'run', '--root', node.root], { AWS_ENDPOINT_URL_EKS: '' });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/warning:/);
      expect(proxy.requests.map((q) => q.target)).toEqual([`${p.eksHost}:443`]);
      expect(node.eks.requests).toMatchObject([{ clusterName: 'test-cluster', status: 200, signed: true, signingRegion: p.region }]);

      const environment = node.read('/etc/eks/kubelet/environment');
      expect(environment).toContain(`--hostname-override=${dnsName}`);
      const kubelet = JSON.parse(node.read('/etc/kubernetes/kubelet/config.json')) as { providerID?: string };
      expect(kubelet.providerID).toBe(`aws:///${az}/i-0123456789abcdef0`);
      if (p.pauseImage) expect(node.read('/etc/containerd/config.toml')).toContain(`"${p.pauseImage}"`);
      const provider = JSON.parse(node.read('/etc/eks/image-credential-provider/config.json')) as { providers: Array<{ matchImages: string[] }> };
      const patterns = provider.providers.flatMap((q) => q.matchImages);
      expect(
        patterns.filter((pattern) => matches(pattern, p.registryHost)),
        patterns.join(' '),
      ).toHaveLength(1);
    });
  }

  it('matches registry names as the kubelet does, one label per star', () => {
    expect(matches('*.dkr.ecr.*.amazonaws.com', '602401143452.dkr.ecr.us-west-2.amazonaws.com')).toBe(true);
    expect(matches('*.dkr.ecr.*.amazonaws.com', '602401143452.dkr.ecr.cn-north-1.amazonaws.com.cn')).toBe(false);
    expect(matches('*.dkr.ecr.*.amazonaws.com', 'a.b.dkr.ecr.us-west-2.amazonaws.com')).toBe(false);
  });
});
