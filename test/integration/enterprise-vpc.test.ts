import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, issueServerCert, type TestCert } from '../support/pki.js';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startSocksProxy, type SocksProxy } from '../support/socks-proxy.js';
import { startNode, type NodeOptions, type SimulatedNode } from '../support/node.js';

/*
 * Nodes in VPCs off the happy path: an HTTP proxy as the only way out, a DHCP option set with a
 * custom domain name, custom resolvers. The real agent bundle against the emulators.
 */

const userData = nodeConfig;

let node: SimulatedNode | undefined;
let proxy: ConnectProxy | undefined;
afterEach(async () => {
  await Promise.all([node?.close(), proxy?.close()]);
  node = undefined;
  proxy = undefined;
});

/** A simulated node, closed after the test; a second boot in one test closes the first. */
async function boot(ud: string, options: NodeOptions = {}): Promise<SimulatedNode> {
  await node?.close();
  node = await startNode({ ...options, imds: { userData: ud, ...options.imds } });
  return node;
}
const port = (url: string) => new URL(url).port;
const hostnameOverride = (n: SimulatedNode) => /--hostname-override=([^"\s]+)/.exec(n.read('/etc/eks/kubelet/environment'))?.[1];

describe('HTTP proxy', () => {
  it('sends the EKS call of name-only user data through the proxy of environment.default, never IMDS', async () => {
    proxy = await startConnectProxy();
    // The emulators listen on http://, so HTTP_PROXY is the one that applies (as for curl).
    const n = await boot(
      userData({ cluster: { name: 'test-cluster' }, instance: { environment: { default: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } } } }),
    );
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.eks.requests).toHaveLength(1);
    expect(proxy.requests.map((q) => q.method)).toEqual(['CONNECT']);
    expect(proxy.requests[0]?.target).toBe(`127.0.0.1:${port(n.eks.url)}`);
    expect(proxy.requests.some((q) => q.target.endsWith(`:${port(n.imds.url)}`))).toBe(false);
    expect(n.imds.requests.length).toBeGreaterThan(0);
  });

  it("says a proxy refused the EKS call's tunnel, not EKS: the proxy agent hands its 403 on as the endpoint's answer", async () => {
    proxy = await startConnectProxy();
    proxy.refuse(403, 'Forbidden');
    const n = await boot(userData({ cluster: { name: 'test-cluster' }, instance: { environment: { default: { HTTP_PROXY: proxy.url } } } }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `eks:DescribeCluster for cluster "test-cluster" failed: the proxy ${proxy.url} answered CONNECT 127.0.0.1:${port(n.eks.url)} with 403 Forbidden, so the call never reached AWS: its rules do not let the node through`,
    );
    expect(n.eks.requests).toEqual([]);
  });

  it("takes an endpoint override from the default environment as the AWS SDKs do: AWS_ENDPOINT_URL when the service's own is not set", async () => {
    const hosts: Record<string, string> = {};
    proxy = await startConnectProxy({ hosts });
    const n = await boot(
      userData({
        cluster: { name: 'test-cluster' },
        instance: { environment: { default: { HTTP_PROXY: proxy.url, AWS_ENDPOINT_URL: 'http://eks.corp.test', AWS_ENDPOINT_URL_EC2: 'not a url' } } },
      }),
    );
    hosts['eks.corp.test'] = `127.0.0.1:${port(n.eks.url)}`;
    // no override in the process's environment: the user data's is the one
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root], { AWS_ENDPOINT_URL_EKS: '' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(proxy.requests.map((q) => q.target)).toEqual(['eks.corp.test:80']);
    expect(n.eks.requests).toHaveLength(1);
    expect(r.stderr).toContain(
      'warning: spec.instance.environment.default.AWS_ENDPOINT_URL_EC2: "not a url" is not an http or https URL: an AWS SDK given it fails each call it overrides',
    );
  });

  it('honours the process environment too, and NO_PROXY covering the EKS endpoint bypasses the proxy', async () => {
    proxy = await startConnectProxy();
    const n = await boot(userData({ cluster: { name: 'test-cluster' } }));
    const through = await n.agent(['init', '--skip', 'run', '--root', n.root], { http_proxy: proxy.url });
    expect(through.exitCode, through.stderr).toBe(0);
    expect(proxy.requests.map((q) => q.target)).toEqual([`127.0.0.1:${port(n.eks.url)}`]);

    proxy.requests.length = 0;
    const direct = await boot(
      userData({ cluster: { name: 'test-cluster' }, instance: { environment: { default: { HTTP_PROXY: proxy.url, NO_PROXY: `example.com,127.0.0.0/8` } } } }),
    );
    const r = await direct.agent(['init', '--skip', 'run', '--root', direct.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(direct.eks.requests).toHaveLength(1);
    expect(proxy.requests).toEqual([]);
  });

  it('writes environment.default as DefaultEnvironment= (0600) and re-executes systemd before restarting the services', async () => {
    const n = await boot(
      userData({
        cluster: completeCluster,
        instance: {
          environment: {
            default: { HTTPS_PROXY: 'http://user:p%40ss@proxy.corp.example:3128', NO_PROXY: '169.254.169.254,.internal' },
            kubelet: { GODEBUG: 'x=1' },
          },
        },
      }),
    );
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    const path = '/etc/systemd/system.conf.d/environment.conf';
    // % is literal in the manager's configuration (no unit specifiers there), unlike in a unit drop-in
    expect(n.read(path)).toContain(
      '\n[Manager]\nDefaultEnvironment="HTTPS_PROXY=http://user:p%40ss@proxy.corp.example:3128" "NO_PROXY=169.254.169.254,.internal"\n',
    );
    expect(statSync(join(n.root, path)).mode & 0o777).toBe(0o600);
    expect(() => n.read('/etc/systemd/system/default.service.d/environment.conf')).toThrow();
    expect(n.read('/etc/systemd/system/kubelet.service.d/environment.conf')).toContain('Environment="GODEBUG=x=1"');
    expect(n.systemctlCalls().slice(0, 2)).toEqual(['daemon-reexec', 'daemon-reload']);
    expect(n.systemctlCalls()).toContain('restart containerd.service');

    const again = await n.agent(['init', '--root', n.root]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(n.systemctlCalls().filter((c) => c.startsWith('daemon-'))).toEqual(['daemon-reexec', 'daemon-reload']);
  });

  it('config check says what the proxy, resolvers and node name will do, hiding proxy credentials', async () => {
    const n = await boot(
      userData({
        cluster: { name: 'test-cluster' },
        instance: {
          environment: { default: { HTTPS_PROXY: 'http://user:secret@proxy.corp.example:3128', NO_PROXY: '.internal' } },
          network: { nameservers: ['10.0.0.2'] },
        },
      }),
    );
    const r = await n.agent(['config', 'check']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "proxy: the agent's EKS, EC2 and STS calls go https:// through http://<credentials>@proxy.corp.example:3128, except to .internal; IMDS is always reached directly",
    );
    expect(r.stdout).toContain(
      'environment: every service gets HTTPS_PROXY, NO_PROXY (DefaultEnvironment= in /etc/systemd/system.conf.d/environment.conf, mode 0600)',
    );
    expect(r.stdout).toContain('resolvers: systemd-resolved gets DNS=10.0.0.2 (/run/systemd/resolved.conf.d/40-eks-node.conf)');
    expect(r.stdout).toMatch(/^node name: IMDS local-hostname when EC2 assigned its domain .*ec2:DescribeInstances/m);
    // the endpoint is fetched at boot: which way the kubelet goes depends on its host
    expect(r.stdout).toMatch(/^kubelet: reaches the API server through the proxy its environment names unless NO_PROXY names the endpoint's host/m);
    // containerd pulls with the same environment; without an endpoint no region names the registry
    expect(r.stdout).toContain(
      'containerd: pulls images through http://<credentials>@proxy.corp.example:3128 (HTTPS_PROXY) unless NO_PROXY names the registry',
    );
    expect(r.stdout + r.stderr).not.toContain('secret');
  });

  it("config check says which way the kubelet reaches the API server, as Go's NO_PROXY rules decide", async () => {
    const endpoint = completeCluster.apiServerEndpoint;
    const host = new URL(endpoint).hostname;
    const check = async (noProxy: string) => {
      const environment = { default: { HTTPS_PROXY: 'http://user:secret@proxy.corp.example:3128', NO_PROXY: noProxy } };
      const n = await boot(userData({ cluster: completeCluster, instance: { environment } }));
      const r = await n.agent(['config', 'check']);
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout;
    };
    // a CIDR holding a private endpoint's addresses does not cover its name
    expect(await check('169.254.169.254,10.0.0.0/8')).toContain(
      `kubelet: reaches the API server (${host}) through http://<credentials>@proxy.corp.example:3128 (HTTPS_PROXY), as NO_PROXY does not name its host`,
    );
    expect(await check(`169.254.169.254,.${host.split('.').slice(1).join('.')}`)).toContain(
      `kubelet: reaches the API server (${host}) directly, as NO_PROXY names its host`,
    );
    // containerd, which pulls the images, by the same rules for the region's EKS registry the endpoint names
    const ecr = '602401143452.dkr.ecr.us-west-2.amazonaws.com';
    expect(await check('169.254.169.254')).toContain(
      `containerd: pulls the cluster's add-on images (${ecr}) through http://<credentials>@proxy.corp.example:3128 (HTTPS_PROXY), as NO_PROXY does not name its host`,
    );
    expect(await check('169.254.169.254,.dkr.ecr.us-west-2.amazonaws.com')).toContain(
      `containerd: pulls the cluster's add-on images (${ecr}) directly, as NO_PROXY names its host`,
    );
  });

  it('rejects a proxy that is not a URL without echoing its value', async () => {
    const n = await boot(userData({ cluster: completeCluster, instance: { environment: { default: { HTTPS_PROXY: 'http://user:secret@' } } } }));
    const r = await n.agent(['config', 'check']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('spec.instance.environment.default.HTTPS_PROXY: is not a proxy URL');
    expect(r.stderr).not.toContain('secret');
  });
});

describe('SOCKS5 proxy', () => {
  let socks: SocksProxy | undefined;
  afterEach(async () => {
    await socks?.close();
    socks = undefined;
  });

  it("sends the EKS call through environment.default's socks5:// as Go would, the proxy resolving the endpoint's name the node cannot", async () => {
    socks = await startSocksProxy({ hosts: { 'eks.corp.test': '127.0.0.1' } });
    // as socks5:// reads to the kubelet and containerd (Go): taken, where a boot once refused it
    const n = await boot(userData({ cluster: { name: 'test-cluster' }, instance: { environment: { default: { HTTP_PROXY: socks.url } } } }));
    const check = await n.agent(['config', 'check']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toContain(`proxy: the agent's EKS, EC2 and STS calls go http:// through ${socks.url}`);
    // a name only the proxy's DNS knows: the node never resolves it
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root], { AWS_ENDPOINT_URL_EKS: `http://eks.corp.test:${port(n.eks.url)}` });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.eks.requests).toHaveLength(1);
    expect(socks.requests).toEqual([{ target: `eks.corp.test:${port(n.eks.url)}`, sentAs: 'name' }]);
    expect(n.read('/etc/systemd/system.conf.d/environment.conf')).toContain(`"HTTP_PROXY=${socks.url}"`);
  });
});

describe('TLS inspection', () => {
  // The EKS endpoint answers with a certificate from a corporate CA that no root Node bundles
  // holds, as behind a TLS-inspecting proxy; the image's CA bundle (SSL_CERT_FILE here) has it.
  let corp: { ca: TestCert; serving: TestCert; dir: string; bundle: string };
  beforeAll(async () => {
    const ca = await createTestCa({ commonName: 'Example Corp inspection CA', days: 30 });
    const dir = mkdtempSync(join(tmpdir(), 'eks-node-corp-ca-'));
    const bundle = join(dir, 'ca-bundle.crt');
    writeFileSync(bundle, `# Example Corp\n${ca.certPem}`);
    corp = { ca, serving: await issueServerCert(ca), dir, bundle };
  });
  afterAll(() => rmSync(corp.dir, { recursive: true, force: true }));
  const nameOnly = (environment?: Record<string, string>) =>
    userData({ cluster: { name: 'test-cluster' }, ...(environment ? { instance: { environment: { default: environment } } } : {}) });

  it("joins through the image's CA bundle, saying it widened its trust, and fails in one line naming what it trusted without it", async () => {
    const n = await boot(nameOnly(), { eks: { tls: corp.serving } });
    const ok = await n.agent(['init', '--skip', 'run', '--root', n.root], { SSL_CERT_FILE: corp.bundle });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(
      `note: eks:DescribeCluster for cluster "test-cluster": the endpoint's certificate is not signed by a root Node bundles (UNABLE_TO_VERIFY_LEAF_SIGNATURE); trying again trusting ${corp.bundle} (1 certificate) as well`,
    );
    expect(n.eks.requests).toHaveLength(1);
    expect(n.read('/etc/kubernetes/kubelet/config.json')).toContain('clusterDNS');

    const m = await boot(nameOnly(), { eks: { tls: corp.serving } });
    const r = await m.agent(['init', '--skip', 'run', '--root', m.root]);
    expect(r.exitCode).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.includes('eks:DescribeCluster') && l.includes('failed'));
    expect(line).toMatch(
      /eks:DescribeCluster for cluster "test-cluster" failed: TLS: the endpoint's certificate is not signed by an authority the agent trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); trusted: the roots Node bundles.*; a TLS-inspecting proxy's CA belongs in the image's CA bundle \(update-ca-trust\) or in AWS_CA_BUNDLE$/,
    );
    expect(m.eks.requests).toEqual([]);
    expect(() => m.read('/etc/kubernetes/kubelet/config.json')).toThrow(/ENOENT/);
  });

  it('trusts AWS_CA_BUNDLE from the default environment alone, at the first attempt, through the proxy too; config check says so', async () => {
    proxy = await startConnectProxy();
    const n = await boot(nameOnly({ AWS_CA_BUNDLE: corp.bundle, HTTPS_PROXY: proxy.url }), { eks: { tls: corp.serving } });
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('trying again');
    expect(proxy.requests.map((q) => q.method)).toEqual(['CONNECT']);
    expect(n.eks.requests).toHaveLength(1);
    const check = await n.agent(['config', 'check']);
    expect(check.stdout).toContain(`trust: the agent's EKS, EC2 and STS calls trust the certificates in ${corp.bundle} alone (AWS_CA_BUNDLE)`);
  });

  it('trusts AWS_CA_BUNDLE through a SOCKS5 proxy too: the TLS inside the SOCKS connection verifies against it', async () => {
    const socks = await startSocksProxy();
    try {
      const n = await boot(nameOnly({ AWS_CA_BUNDLE: corp.bundle, HTTPS_PROXY: socks.url }), { eks: { tls: corp.serving } });
      const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('trying again');
      expect(socks.requests).toEqual([{ target: `127.0.0.1:${port(n.eks.url)}`, sentAs: 'address' }]);
      expect(n.eks.requests).toHaveLength(1);
    } finally {
      await socks.close();
    }
  });
});

describe('FIPS and dual-stack endpoints', () => {
  let ca: TestCert;
  let dir: string;
  beforeAll(async () => {
    ca = await createTestCa({ commonName: 'Example Corp CA', days: 30 });
    dir = mkdtempSync(join(tmpdir(), 'eks-node-fips-'));
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A name-only boot whose default environment names the variant, the EKS emulator serving `host` behind a proxy that resolves it. */
  async function variantBoot(host: string, environment: Record<string, string>) {
    const hosts: Record<string, string> = {};
    proxy = await startConnectProxy({ hosts });
    const n = await boot(
      userData({
        cluster: { name: 'test-cluster' },
        instance: { environment: { default: { HTTPS_PROXY: proxy.url, AWS_CA_BUNDLE: join(dir, 'ca.crt'), ...environment } } },
      }),
      { eks: { tls: await issueServerCert(ca, { sans: [`DNS:${host}`] }) } },
    );
    hosts[host] = `127.0.0.1:${port(n.eks.url)}`;
    // no endpoint override: the agent's call goes where the SDK's rules send it
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root], { AWS_ENDPOINT_URL_EKS: '' });
    return { n, r };
  }

  it("calls the FIPS endpoint AWS_USE_FIPS_ENDPOINT in the default environment asks for, as the kubelet's Go programs do", async () => {
    const { n, r } = await variantBoot('fips.eks.us-west-2.amazonaws.com', { AWS_USE_FIPS_ENDPOINT: 'True' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(proxy!.requests.map((q) => q.target)).toEqual(['fips.eks.us-west-2.amazonaws.com:443']);
    expect(n.eks.requests).toHaveLength(1);
    const check = await n.agent(['config', 'check']);
    expect(check.stdout).toContain("endpoints: the agent's EKS, EC2 and STS calls go to their FIPS endpoints (AWS_USE_FIPS_ENDPOINT)");
  });

  it('and the dual-stack one, which an IPv6-only node reaches, with both: FIPS dual-stack', async () => {
    const { r } = await variantBoot('eks-fips.us-west-2.api.aws', { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(proxy!.requests.map((q) => q.target)).toEqual(['eks-fips.us-west-2.api.aws:443']);
  });

  it('passes over a value Go refuses, warning: the standard endpoint', async () => {
    const { r } = await variantBoot('eks.us-west-2.amazonaws.com', { AWS_USE_FIPS_ENDPOINT: 'yes' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^eks-node-agent: warning: spec\.instance\.environment\.default\.AWS_USE_FIPS_ENDPOINT: "yes" is neither true nor false: /m);
    expect(proxy!.requests.map((q) => q.target)).toEqual(['eks.us-west-2.amazonaws.com:443']);
  });
});

describe('node name', () => {
  const customDomain: NodeOptions = { imds: { instance: { privateDnsName: 'ip-10-0-1-23.corp.example' } } };

  it('takes local-hostname in an EC2-assigned domain without any EC2 call', async () => {
    const n = await boot(userData({ cluster: completeCluster }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(hostnameOverride(n)).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(n.ec2.requests).toEqual([]);
    expect(r.stderr).toContain('node name from IMDS local-hostname');
  });

  it('asks ec2:DescribeInstances once for PrivateDnsName when local-hostname has a custom DHCP domain', async () => {
    const n = await boot(userData({ cluster: completeCluster }), customDomain);
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.ec2.requests.map((q) => [q.action, q.params['InstanceId.1']])).toEqual([['DescribeInstances', 'i-0123456789abcdef0']]);
    expect(hostnameOverride(n)).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(r.stderr).toContain('"ip-10-0-1-23.corp.example" is not a name EC2 assigned');
  });

  it('fails with exit 2 naming ec2:DescribeInstances when the role may not call it', async () => {
    const n = await boot(userData({ cluster: completeCluster }), { ...customDomain, ec2: { unauthorized: true } });
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^error: ec2:DescribeInstances for "i-0123456789abcdef0" was denied \(UnauthorizedOperation\): .*needs the ec2:DescribeInstances permission/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(n.ec2.requests).toHaveLength(1);
  });

  it('names the node by its instance id with InstanceIdNodeName, asking EC2 nothing', async () => {
    const n = await boot(userData({ cluster: completeCluster, featureGates: { InstanceIdNodeName: true } }), { ...customDomain, ec2: { unauthorized: true } });
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(hostnameOverride(n)).toBe('i-0123456789abcdef0');
    expect(n.ec2.requests).toEqual([]);
  });
});

describe('resolvers', () => {
  const network = { nameservers: ['10.0.0.2', 'fd00:ec2::253'], domains: ['corp.example', '~svc.corp.example'] };

  it('writes a systemd-resolved drop-in and restarts systemd-resolved before the EKS call, once', async () => {
    const n = await boot(userData({ cluster: { name: 'test-cluster' }, instance: { network } }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.read('/run/systemd/resolved.conf.d/40-eks-node.conf')).toContain(
      '\n[Resolve]\nDNS=10.0.0.2 fd00:ec2::253\nDomains=corp.example ~svc.corp.example\n',
    );
    expect(n.systemctlCalls()).toEqual(['try-restart systemd-resolved.service']);
    expect(r.stderr.indexOf('resolvers')).toBeLessThan(r.stderr.indexOf('eks-node-agent: cluster'));
    expect(r.stderr).not.toContain('accepted but not applied');

    const again = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(n.systemctlCalls()).toEqual(['try-restart systemd-resolved.service']);
  });

  it('removes the drop-in and restarts systemd-resolved when the resolvers leave the user data', async () => {
    const n = await boot(userData({ cluster: completeCluster, instance: { network } }));
    expect((await n.agent(['init', '--skip', 'run', '--root', n.root])).exitCode).toBe(0);
    n.imds.setUserData(userData({ cluster: completeCluster }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(() => n.read('/run/systemd/resolved.conf.d/40-eks-node.conf')).toThrow();
    expect(n.systemctlCalls()).toEqual(['try-restart systemd-resolved.service', 'try-restart systemd-resolved.service']);
    expect(r.stderr).toContain('resolvers: removed /run/systemd/resolved.conf.d/40-eks-node.conf, restarted systemd-resolved.service');
  });

  it('puts the earlier resolvers back when the configuration fails after they were applied (EKS refuses the call)', async () => {
    const n = await boot(userData({ cluster: completeCluster, instance: { network } }));
    expect((await n.agent(['init', '--skip', 'run', '--root', n.root])).exitCode).toBe(0);
    const before = n.snapshot();
    // new resolvers, and a cluster EKS does not know: they are applied for the call, which fails
    n.imds.setUserData(userData({ cluster: { name: 'no-such-cluster' }, instance: { network: { nameservers: ['10.9.0.2'] } } }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/eks:DescribeCluster for cluster "no-such-cluster" failed/);
    expect(r.stderr).toContain(
      'resolvers: /run/systemd/resolved.conf.d/40-eks-node.conf put back as it was (the configuration failed), restarted systemd-resolved.service',
    );
    expect(n.snapshot()).toEqual(before);
    expect(n.systemctlCalls()).toEqual(Array(3).fill('try-restart systemd-resolved.service'));
    // with no resolvers before, the drop-in is taken away again
    const fresh = await boot(userData({ cluster: { name: 'no-such-cluster' }, instance: { network } }));
    const failed = await fresh.agent(['init', '--skip', 'run', '--root', fresh.root]);
    expect(failed.exitCode, failed.stderr).toBe(2);
    expect(() => fresh.read('/run/systemd/resolved.conf.d/40-eks-node.conf')).toThrow();
    expect(failed.stderr).toContain('resolvers: /run/systemd/resolved.conf.d/40-eks-node.conf removed (the configuration failed)');
  });

  it('rejects a nameserver that is not an address (a host name), naming its index, before writing anything', async () => {
    const n = await boot(userData({ cluster: completeCluster, instance: { network: { nameservers: ['10.0.0.2', 'dns.corp.example'] } } }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('spec.instance.network.nameservers[1]: "dns.corp.example" is not a DNS server address');
    expect(() => n.read('/run/systemd/resolved.conf.d/40-eks-node.conf')).toThrow();
  });

  it("writes a nameserver with a port, an interface or a DNS-over-TLS server name as systemd-resolved's DNS= takes it", async () => {
    const servers = ['10.0.0.2:853#dns.corp.example', '[fd00:ec2::253]:53', '10.1.0.2%ens5'];
    const n = await boot(userData({ cluster: completeCluster, instance: { network: { nameservers: servers } } }));
    const r = await n.agent(['init', '--skip', 'run', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(n.read('/run/systemd/resolved.conf.d/40-eks-node.conf')).toMatch(new RegExp(`^DNS=${servers.join(' ').replace(/[[\].]/g, '\\$&')}$`, 'm'));
  });
});
