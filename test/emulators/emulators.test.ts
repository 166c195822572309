import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { DescribeInstanceTypesCommand, EC2Client, paginateDescribeInstanceTypes, type _InstanceType } from '@aws-sdk/client-ec2';
import { execa } from 'execa';
import { apiRequest, parseEndpoint } from '../../agent/src/doctor/net.js';
import { startApiServer } from './apiserver.js';
import { DEFAULT_IMDS_INSTANCE, startImds, type ImdsEmulator } from './imds.js';
import { TEST_CLUSTER_CA_PEM, startEks } from './eks.js';
import { startEc2 } from './ec2.js';

// The emulators checked with the real AWS SDK clients and plain HTTP, as the agent will use them.

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function token(imds: ImdsEmulator, ttl = '60'): Promise<string> {
  const res = await http(`${imds.url}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe(ttl);
  return res.text;
}

describe('IMDS emulator', () => {
  it('issues IMDSv2 tokens and refuses GETs without a valid one', async () => {
    const imds = await startImds({ userData: 'hello' });
    closers.push(imds.close);
    expect((await http(`${imds.url}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    expect((await http(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '99999' } })).status).toBe(400);
    expect((await http(`${imds.url}/latest/meta-data/instance-id`)).status).toBe(401);
    expect((await http(`${imds.url}/latest/meta-data/instance-id`, { headers: { 'X-aws-ec2-metadata-token': 'forged' } })).status).toBe(401);
    const t = await token(imds);
    const ok = await http(`${imds.url}/latest/meta-data/instance-id`, { headers: { 'X-aws-ec2-metadata-token': t } });
    expect(ok).toMatchObject({ status: 200, text: 'i-0123456789abcdef0' });
    imds.revokeTokens();
    expect((await http(`${imds.url}/latest/meta-data/instance-id`, { headers: { 'X-aws-ec2-metadata-token': t } })).status).toBe(401);
    expect(imds.count('/latest/api/token')).toBe(3);
    expect(imds.count('/latest/meta-data/instance-id')).toBe(4);
  });

  it('serves meta-data, listings, IAM credentials, identity document and user data', async () => {
    const imds = await startImds({
      instance: { instanceType: 't3.medium', ipv6: '2600:1f14::1', mac: '02:aa:bb:cc:dd:ee' },
    });
    closers.push(imds.close);
    const t = await token(imds);
    const get = (p: string) => http(`${imds.url}/latest/${p}`, { headers: { 'X-aws-ec2-metadata-token': t } });

    expect((await get('meta-data/instance-type')).text).toBe('t3.medium');
    expect((await get('meta-data/local-ipv4')).text).toBe('10.0.1.23');
    expect((await get('meta-data/local-hostname')).text).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect((await get('meta-data/mac')).text).toBe('02:aa:bb:cc:dd:ee');
    expect((await get('meta-data/placement/availability-zone')).text).toBe('us-west-2a');
    expect((await get('meta-data/placement/region')).text).toBe('us-west-2');
    expect((await get('meta-data/network/interfaces/macs/02:aa:bb:cc:dd:ee/ipv6s')).text).toBe('2600:1f14::1');
    expect((await get('meta-data/placement/')).text).toBe('availability-zone\nregion');
    expect((await get('meta-data/')).text.split('\n')).toContain('placement/');
    expect((await get('meta-data/iam/security-credentials/')).text).toBe('eks-node-role');
    const creds = JSON.parse((await get('meta-data/iam/security-credentials/eks-node-role')).text);
    expect(creds).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: expect.any(String) });
    expect(new Date(creds.Expiration).getTime()).toBeGreaterThan(Date.now());
    expect(JSON.parse((await get('meta-data/iam/info')).text)).toMatchObject({ Code: 'Success' });
    const doc = JSON.parse((await get('dynamic/instance-identity/document')).text);
    expect(doc).toMatchObject({ instanceId: 'i-0123456789abcdef0', instanceType: 't3.medium', region: 'us-west-2' });
    expect((await get('meta-data/no-such-thing')).status).toBe(404);

    expect((await get('user-data')).status).toBe(404);
    const bytes = Buffer.from([0x1f, 0x8b, 0x00, 0xff]);
    imds.setUserData(bytes);
    const res = await fetch(`${imds.url}/latest/user-data`, { headers: { 'X-aws-ec2-metadata-token': t } });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);

    imds.setMetaData('local-hostname', null);
    expect((await get('meta-data/local-hostname')).status).toBe(404);
  });

  it('answers the dated API versions cloud-init asks, from the same tree', async () => {
    const imds = await startImds({ userData: '#!/bin/bash\necho hi\n' });
    closers.push(imds.close);
    const t = await token(imds);
    const get = (p: string) => http(`${imds.url}/${p}`, { headers: { 'X-aws-ec2-metadata-token': t } });
    expect((await get('2021-03-23/meta-data/instance-id')).text).toBe('i-0123456789abcdef0');
    expect((await get('2021-03-23/meta-data/')).text.split('\n')).toContain('placement/');
    expect((await get('2021-03-23/user-data')).text).toBe('#!/bin/bash\necho hi\n');
    expect((await get('2021-03-23/dynamic/instance-identity/')).text).toBe('document');
    expect(JSON.parse((await get('2021-03-23/dynamic/instance-identity/document')).text)).toMatchObject({ instanceId: 'i-0123456789abcdef0' });
    expect((await get('2021-03-23/meta-data/instance-id')).status).toBe(200);
    expect((await get('1.0/meta-data/instance-id')).status).toBe(404);
    expect(imds.count('/2021-03-23/user-data')).toBe(1);
  });

  it('has no ipv6s path for an IPv4-only interface', async () => {
    const imds = await startImds();
    closers.push(imds.close);
    const t = await token(imds);
    const res = await http(`${imds.url}/latest/meta-data/network/interfaces/macs/0e:12:34:56:78:9a/ipv6s`, {
      headers: { 'X-aws-ec2-metadata-token': t },
    });
    expect(res.status).toBe(404);
  });

  it('refuses connections until startDelayMs has passed', async () => {
    const imds = await startImds({ startDelayMs: 400 });
    closers.push(imds.close);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(imds.port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await imds.listening;
    await token(imds);
  });

  it('holds requests unanswered while down', async () => {
    const imds = await startImds({ down: true });
    closers.push(imds.close);
    const res = await fetch(`${imds.url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (e: Error) => e.name,
    );
    expect(res).toBe('TimeoutError');
    imds.setDown(false);
    await token(imds);
  });
});

describe('EKS emulator with @aws-sdk/client-eks', () => {
  const client = (url: string, maxAttempts = 1) => new EKSClient({ region: 'us-west-2', endpoint: url, credentials, maxAttempts });

  it('answers DescribeCluster for a known cluster', async () => {
    const eks = await startEks({ clusters: { prod: {}, six: { ipFamily: 'ipv6' } } });
    closers.push(eks.close);
    const { cluster } = await client(eks.url).send(new DescribeClusterCommand({ name: 'prod' }));
    expect(cluster?.endpoint).toMatch(/^https:\/\//);
    expect(cluster?.status).toBe('ACTIVE');
    expect(cluster?.kubernetesNetworkConfig).toMatchObject({ serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' });
    expect(cluster?.createdAt).toBeInstanceOf(Date);
    const pem = Buffer.from(cluster?.certificateAuthority?.data ?? '', 'base64').toString('utf8');
    expect(pem).toBe(TEST_CLUSTER_CA_PEM);
    expect(new X509Certificate(pem).subject).toBe('CN=kubernetes');

    const six = await client(eks.url).send(new DescribeClusterCommand({ name: 'six' }));
    expect(six.cluster?.kubernetesNetworkConfig).toMatchObject({ ipFamily: 'ipv6', serviceIpv6Cidr: 'fd30:1c53:5f8a::/108' });
    expect(eks.requests).toEqual([
      { method: 'GET', path: '/clusters/prod', clusterName: 'prod', status: 200, signed: true, accessKeyId: 'AKIDEXAMPLE', signingRegion: 'us-west-2' },
      { method: 'GET', path: '/clusters/six', clusterName: 'six', status: 200, signed: true, accessKeyId: 'AKIDEXAMPLE', signingRegion: 'us-west-2' },
    ]);
  });

  it('gives typed errors: not found, access denied', async () => {
    const eks = await startEks({ accessDenied: ['locked'] });
    closers.push(eks.close);
    const missing = await client(eks.url)
      .send(new DescribeClusterCommand({ name: 'nope' }))
      .catch((e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    const denied = await client(eks.url)
      .send(new DescribeClusterCommand({ name: 'locked' }))
      .catch((e: Error) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException' });
    expect((denied as Error).message).toContain('eks:DescribeCluster');
  });

  it('throttles the first N requests, and the SDK retries through it', async () => {
    const eks = await startEks({ throttleFirst: 2 });
    closers.push(eks.close);
    const once = await client(eks.url)
      .send(new DescribeClusterCommand({ name: 'test-cluster' }))
      .catch((e: Error) => e);
    expect(once).toMatchObject({ name: 'ThrottlingException' });
    const { cluster } = await client(eks.url, 3).send(new DescribeClusterCommand({ name: 'test-cluster' }));
    expect(cluster?.name).toBe('test-cluster');
    expect(eks.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(eks.requests[0]?.errorType).toBe('ThrottlingException');
  });
});

describe('EC2 emulator with @aws-sdk/client-ec2', () => {
  const client = (url: string) => new EC2Client({ region: 'us-west-2', endpoint: url, credentials, maxAttempts: 1 });

  it('describes the requested instance types with their network info', async () => {
    const ec2 = await startEc2();
    closers.push(ec2.close);
    const out = await client(ec2.url).send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 'p4d.24xlarge'] }));
    const byType = Object.fromEntries((out.InstanceTypes ?? []).map((t) => [t.InstanceType, t]));
    expect(byType['m5.large']?.NetworkInfo).toMatchObject({
      MaximumNetworkInterfaces: 3,
      Ipv4AddressesPerInterface: 10,
      Ipv6Supported: true,
      DefaultNetworkCardIndex: 0,
      NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 3 }],
    });
    expect(byType['p4d.24xlarge']?.NetworkInfo?.NetworkCards).toHaveLength(4);
    expect(byType['p4d.24xlarge']?.NetworkInfo?.MaximumNetworkInterfaces).toBe(60);
    expect(byType['m5.large']?.VCpuInfo?.DefaultVCpus).toBe(2);
    expect(ec2.requests[0]).toMatchObject({
      action: 'DescribeInstanceTypes',
      status: 200,
      signed: true,
      params: { 'InstanceType.1': 'm5.large', 'InstanceType.2': 'p4d.24xlarge' },
    });
  });

  it('paginates with NextToken', async () => {
    const ec2 = await startEc2();
    closers.push(ec2.close);
    const seen: string[] = [];
    for await (const page of paginateDescribeInstanceTypes({ client: client(ec2.url), pageSize: 5 }, {})) {
      seen.push(...(page.InstanceTypes ?? []).map((t) => t.InstanceType ?? ''));
    }
    expect(seen).toContain('m4.xlarge');
    expect(seen).toHaveLength(new Set(seen).size);
    expect(ec2.requests.length).toBeGreaterThan(1);
    expect(ec2.requests[1]?.params.NextToken).toBeDefined();
  });

  it('answers errors in the EC2 XML format', async () => {
    const ec2 = await startEc2({ throttleFirst: 1 });
    closers.push(ec2.close);
    const c = client(ec2.url);
    const throttled = await c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large'] })).catch((e: Error) => e);
    expect(throttled).toMatchObject({ name: 'RequestLimitExceeded' });
    const unknown = await c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9z.large' as _InstanceType] })).catch((e: Error) => e);
    expect(unknown).toMatchObject({ name: 'InvalidInstanceType' });
    expect((unknown as Error).message).toContain('x9z.large');
    ec2.set({ unauthorized: true });
    const denied = await c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large'] })).catch((e: Error) => e);
    expect(denied).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
  });
});

describe('serve.ts', () => {
  it('starts the configured emulators, prints their URLs and stops on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eks-node-serve-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'user-data'), 'from-a-file');
    await writeFile(
      path.join(dir, 'cfg.json'),
      JSON.stringify({ imds: { userDataFile: 'user-data', instance: { instanceType: 'm4.xlarge' } }, eks: { clusters: { demo: {} } } }),
    );
    const script = new URL('./serve.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--config', path.join(dir, 'cfg.json'), '--imds-start-delay-ms', '300'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    closers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('exit', () => reject(new Error(`serve.ts exited early: ${err}`)));
    });
    const urls = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(['eks', 'imds']);

    // IMDS is inside its start delay: retry until it listens
    let t = '';
    for (let i = 0; i < 50 && !t; i++) {
      t = await fetch(`${urls.imds}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })
        .then((r) => r.text())
        .catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return '';
        });
    }
    const get = (p: string) => fetch(`${urls.imds}/latest/${p}`, { headers: { 'X-aws-ec2-metadata-token': t } }).then((r) => r.text());
    expect(await get('user-data')).toBe('from-a-file');
    expect(await get('meta-data/instance-type')).toBe('m4.xlarge');
    const { cluster } = await new EKSClient({ region: 'us-west-2', endpoint: urls.eks, credentials }).send(new DescribeClusterCommand({ name: 'demo' }));
    expect(cluster?.status).toBe('ACTIVE');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('API server emulator: kubelet-serving CSRs', () => {
  // a node's serving certificate request, made by the real openssl as the kubelet makes it
  async function servingRequest(node: string, ip: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'csr-'));
    try {
      await execa('openssl', [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(dir, 'k'),
        '-subj',
        `/O=system:nodes/CN=system:node:${node}`,
        '-addext',
        `subjectAltName=DNS:${node},IP:${ip}`,
        '-out',
        path.join(dir, 'r'),
      ]);
      return Buffer.from(await readFile(path.join(dir, 'r'))).toString('base64');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("signs the node's own serving CSR with the cluster CA, keeping its names; another identity's stays pending", async () => {
    const api = await startApiServer();
    try {
      const endpoint = parseEndpoint(api.url);
      const ask = (method: 'GET' | 'POST', p: string, body?: unknown) =>
        apiRequest({ endpoint, caPem: api.caPem, method, path: p, token: 'k8s-aws-v1.test', timeoutMs: 10_000, ...(body ? { body } : {}) });
      const csr = (name: string, request: string) => ({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: { request, signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] },
      });
      const node = DEFAULT_IMDS_INSTANCE.privateDnsName;
      const created = await ask('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr('csr-1', await servingRequest(node, '10.0.1.23')));
      expect(created.status).toBe(201);
      let issued: string | undefined;
      for (let i = 0; i < 100 && !issued; i++) {
        const got = JSON.parse((await ask('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1')).body) as {
          status?: { certificate?: string };
        };
        issued = got.status?.certificate;
        if (!issued) await new Promise((r) => setTimeout(r, 100));
      }
      const cert = new X509Certificate(Buffer.from(issued ?? '', 'base64'));
      expect(cert.subjectAltName).toBe(`DNS:${node}, IP Address:10.0.1.23`);
      expect(cert.checkIssued(new X509Certificate(api.caPem))).toBe(true);
      // the node's identity is not system:node:<name> (a mapping with another username): never approved
      api.setAuth('forbidden');
      await ask('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr('csr-2', await servingRequest(node, '10.0.1.23')));
      await new Promise((r) => setTimeout(r, 500));
      expect(api.csrs.get('csr-2')?.status).toEqual({});
    } finally {
      await api.close();
    }
  });
});
