import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsClientOptions, failureReason } from '../../src/aws/client.js';
import { describeCluster, createEksApi } from '../../src/aws/eks.js';
import { failure } from './failure.js';
import { TEST_CLUSTER_CA_BASE64, startEks, type EksEmulator } from '../../../test/emulators/eks.js';
import { startImds } from '../../../test/emulators/imds.js';
import { startConnectProxy } from '../../../test/support/connect-proxy.js';
import { startSocksProxy } from '../../../test/support/socks-proxy.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
let eks: EksEmulator | undefined;
afterEach(async () => {
  await eks?.close();
  eks = undefined;
});

const port = (url: string) => new URL(url).port;
const opts = (over: object = {}) => ({ region: 'us-west-2', endpoint: eks!.url, credentials, timeoutMs: 5_000, ...over });

describe('describeCluster', () => {
  it('returns endpoint, CA and the IPv4 service CIDR', async () => {
    eks = await startEks({ clusters: { prod: { endpoint: 'https://prod.example.eks.amazonaws.com' } } });
    expect(await describeCluster('prod', opts())).toEqual({
      name: 'prod',
      apiServerEndpoint: 'https://prod.example.eks.amazonaws.com',
      certificateAuthority: TEST_CLUSTER_CA_BASE64,
      ipFamily: 'ipv4',
      cidr: '10.100.0.0/16',
      version: '1.33',
      status: 'ACTIVE',
    });
    expect(eks.requests).toHaveLength(1);
    expect(eks.requests[0]?.signed).toBe(true);
  });

  it('takes the IPv6 service CIDR for an IPv6 cluster', async () => {
    eks = await startEks({ clusters: { six: { ipFamily: 'ipv6', serviceIpv6Cidr: 'fd00::/108' } } });
    const c = await createEksApi(opts()).describeCluster('six');
    expect(c).toMatchObject({ ipFamily: 'ipv6', cidr: 'fd00::/108' });
  });

  it('refuses an answer whose strings are numbers or maps (not EKS behind the endpoint), naming the field', async () => {
    eks = await startEks({ clusters: { odd: { endpoint: 5 as unknown as string } } });
    const err = await failure(describeCluster('odd', opts()));
    expect(err.message).toBe(`eks:DescribeCluster for cluster "odd" failed: the answer's cluster.endpoint is a number, not a string`);
    await eks.close();
    eks = await startEks({ clusters: { odd: { caData: { pem: 'x' } as unknown as string } } });
    expect((await failure(describeCluster('odd', opts()))).message).toMatch(/cluster\.certificateAuthority\.data is a map, not a string$/);
  });

  it('retries through throttling', async () => {
    eks = await startEks({ throttleFirst: 2 });
    const c = await describeCluster('test-cluster', opts());
    expect(c.status).toBe('ACTIVE');
    expect(eks.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('gives up after maxAttempts throttled answers, saying so', async () => {
    eks = await startEks({ throttleFirst: 10 });
    const err = await failure(describeCluster('test-cluster', opts({ maxAttempts: 2 })));
    expect(err.message).toMatch(/^eks:DescribeCluster for cluster "test-cluster" failed: ThrottlingException: .*after 2 attempts/);
    expect(eks.requests).toHaveLength(2);
  });

  it('names the cluster and the code when access is denied (no retry)', async () => {
    eks = await startEks({ accessDenied: true });
    const err = await failure(describeCluster('prod', opts()));
    expect(err.message).toMatch(/^eks:DescribeCluster for cluster "prod" failed: AccessDeniedException: .*\[HTTP 403\]$/);
    expect(err.message).not.toContain('\n');
    expect(eks.requests).toHaveLength(1);
  });

  it('names ResourceNotFoundException for an unknown cluster', async () => {
    eks = await startEks();
    const err = await failure(describeCluster('ghost', opts()));
    expect(err.message).toContain('eks:DescribeCluster for cluster "ghost" failed: ResourceNotFoundException');
  });

  it('stops at its deadline and says it was a timeout', async () => {
    eks = await startEks({ delayMs: 5_000 });
    const started = Date.now();
    const err = await failure(describeCluster('test-cluster', opts({ timeoutMs: 400 })));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(err.message).toBe('eks:DescribeCluster for cluster "test-cluster" failed: timeout: no answer within 400ms');
  });

  it('reports an endpoint that refuses connections', async () => {
    eks = await startEks();
    const url = eks.url;
    await eks.close();
    eks = undefined;
    const err = await failure(describeCluster('prod', { region: 'us-west-2', endpoint: url, credentials, timeoutMs: 3_000, maxAttempts: 2 }));
    expect(err.message).toMatch(/^eks:DescribeCluster for cluster "prod" failed: .*ECONNREFUSED/);
  });

  it("names a proxy that refuses the tunnel, which the SDK would report as the endpoint's answer, by what to change", async () => {
    const proxy = await startConnectProxy();
    const call = (variant = { fips: false, dualStack: false }) =>
      failure(
        describeCluster('prod', { region: 'us-east-1', credentials, timeoutMs: 3_000, maxAttempts: 1, proxy: { httpsProxy: proxy.url, noProxy: [] }, variant }),
      );
    try {
      proxy.refuse(403, 'Forbidden');
      expect((await call()).message).toBe(
        `eks:DescribeCluster for cluster "prod" failed: the proxy http://127.0.0.1:${port(proxy.url)} answered CONNECT eks.us-east-1.amazonaws.com:443 with 403 Forbidden, so the call never reached AWS: its rules do not let the node through to eks.us-east-1.amazonaws.com:443: allow that host on the proxy, or put it in NO_PROXY if the node reaches it directly (a VPC endpoint)`,
      );
      proxy.refuse(407, 'Proxy Authentication Required');
      expect((await call()).message).toMatch(
        / with 407 Proxy Authentication Required, so the call never reached AWS: it wants credentials, which the agent sends only from the proxy URL/,
      );
      // credentials in the URL that the proxy refuses: never shown, and named as the ones to correct
      const withCredentials = await failure(
        describeCluster('prod', {
          region: 'us-east-1',
          credentials,
          timeoutMs: 3_000,
          maxAttempts: 1,
          proxy: { httpsProxy: proxy.url.replace('http://', 'http://node:s3cret@'), noProxy: [] },
        }),
      );
      expect(withCredentials.message).toMatch(
        /the proxy http:\/\/<credentials>@127\.0\.0\.1:\d+ answered CONNECT .* with 407 .*: it refuses the credentials in the proxy URL: correct them there/,
      );
      expect(withCredentials.message).not.toContain('s3cret');
      // a FIPS call goes to the FIPS host, which the proxy could not reach: the variable that chose it is named
      proxy.refuse(502, 'Bad Gateway');
      const fips = await call({ fips: true, dualStack: false });
      expect(proxy.requests.at(-1)?.target).toBe('fips.eks.us-east-1.amazonaws.com:443');
      expect(fips.message).toMatch(
        /answered CONNECT fips\.eks\.us-east-1\.amazonaws\.com:443 with 502 Bad Gateway, so the call never reached AWS: the proxy could not reach fips\.eks\.us-east-1\.amazonaws\.com:443 itself \(its DNS, routes or security groups\); AWS_USE_FIPS_ENDPOINT chose the service's FIPS endpoint, which not every region has$/,
      );
    } finally {
      await proxy.close();
    }
  });

  it("names a SOCKS proxy's refusal by its reply, not the SOCKS library's words, with what to change", async () => {
    const socks = await startSocksProxy({ credentials: { user: 'node', password: 's3cret' } });
    const call = (proxyUrl: string, variant = { fips: false, dualStack: false }) =>
      failure(
        describeCluster('prod', { region: 'us-east-1', credentials, timeoutMs: 3_000, maxAttempts: 1, proxy: { httpsProxy: proxyUrl, noProxy: [] }, variant }),
      );
    const withCredentials = socks.url.replace('socks5://', 'socks5://node:s3cret@');
    try {
      socks.refuse(2);
      const refused = await call(withCredentials);
      expect(refused.message).toBe(
        `eks:DescribeCluster for cluster "prod" failed: the SOCKS proxy socks5://<credentials>@127.0.0.1:${socks.port} refused the connection to eks.us-east-1.amazonaws.com:443: not allowed by its rules (reply 2), so the call never reached AWS: its rules do not let the node through to eks.us-east-1.amazonaws.com:443: allow that host on the proxy, or put it in NO_PROXY if the node reaches it directly (a VPC endpoint)`,
      );
      expect(socks.requests.at(-1)).toMatchObject({ target: 'eks.us-east-1.amazonaws.com:443', sentAs: 'name' });
      // the target out of the proxy's reach: a dual-stack endpoint, and the variable that chose it
      socks.refuse(4);
      const unreachable = await call(withCredentials, { fips: false, dualStack: true });
      expect(unreachable.message).toMatch(
        /refused the connection to eks\.us-east-1\.api\.aws:443: host unreachable \(reply 4\), so the call never reached AWS: the proxy could not reach eks\.us-east-1\.api\.aws:443 itself \(its DNS, routes or security groups\); AWS_USE_DUALSTACK_ENDPOINT chose the service's dual-stack endpoint, which not every region has$/,
      );
      // the credentials step: none given, then wrong ones (never shown)
      socks.refuse(undefined);
      expect((await call(socks.url)).message).toMatch(
        /refused the connection to eks\.us-east-1\.amazonaws\.com:443: takes none of the ways to authenticate offered .*: it wants credentials, which the agent sends only from the proxy URL \(socks5:\/\/user:password@host:port in HTTPS_PROXY\)$/,
      );
      const wrong = await call(socks.url.replace('socks5://', 'socks5://node:wrong@'));
      expect(wrong.message).toMatch(
        /: refused the user name and password, so the call never reached AWS: it refuses the credentials in the proxy URL: correct them there/,
      );
      expect(wrong.message).not.toContain('wrong');
    } finally {
      await socks.close();
    }
  });

  it('says which variable chose a FIPS or dual-stack endpoint that gave no answer, and never for an endpoint override', async () => {
    const closed = await startEks();
    await closed.close();
    // a loopback port nothing listens on, dialled directly: no HTTP answer
    const viaClosedProxy = await failure(
      describeCluster('prod', {
        region: 'us-east-1',
        credentials,
        timeoutMs: 3_000,
        maxAttempts: 1,
        proxy: { httpsProxy: closed.url, noProxy: [] },
        variant: { fips: false, dualStack: true },
      }),
    );
    expect(viaClosedProxy.message).toMatch(
      /ECONNREFUSED.*; AWS_USE_DUALSTACK_ENDPOINT chose the service's dual-stack endpoint, which not every region has nor every network reaches \(set it to false, or leave it out, for the standard one\)$/,
    );
    const overridden = await failure(
      describeCluster('prod', {
        region: 'us-east-1',
        endpoint: closed.url,
        credentials,
        timeoutMs: 3_000,
        maxAttempts: 1,
        variant: { fips: true, dualStack: true },
      }),
    );
    expect(overridden.message).toMatch(/ECONNREFUSED/);
    expect(overridden.message).not.toContain('AWS_USE_');
  });

  it('sends the call where the agent decided, never to an override the SDK would find itself (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, ~/.aws/config)', async () => {
    eks = await startEks();
    const proxy = await startConnectProxy();
    const dir = mkdtempSync(join(tmpdir(), 'eks-node-sdk-config-'));
    const saved = { ...process.env };
    try {
      proxy.refuse(403, 'Forbidden');
      // the process's override and a shared config file's both name the emulator, which would answer
      process.env.AWS_ENDPOINT_URL_EKS = eks.url;
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      writeFileSync(process.env.AWS_CONFIG_FILE, `[default]\nendpoint_url = ${eks.url}\n`);
      const options = awsClientOptions('eks', [{ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, process.env], {
        region: 'us-east-1',
        credentials,
        timeoutMs: 3_000,
        maxAttempts: 1,
        proxy: { httpsProxy: proxy.url, noProxy: [] },
      });
      expect(options.endpoint).toBeUndefined();
      const err = await failure(describeCluster('prod', options));
      expect(proxy.requests.map((r) => r.target)).toEqual(['eks.us-east-1.amazonaws.com:443']);
      expect(err.message).toMatch(/answered CONNECT eks\.us-east-1\.amazonaws\.com:443 with 403 Forbidden/);
      expect(eks.requests).toHaveLength(0);
      // without the switch, the process's override is the agent's too, and the emulator answers
      const overridden = awsClientOptions('eks', [{}, process.env], { region: 'us-east-1', credentials, timeoutMs: 3_000 });
      expect(overridden.endpoint).toBe(eks.url);
      expect((await describeCluster('test-cluster', overridden)).apiServerEndpoint).toMatch(/^https:\/\//);
    } finally {
      process.env = saved;
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Runs `body` with the SDK's default chain pointed at an emulated IMDS and nothing else (it reads these itself). */
  async function withImdsChain<T>(imdsUrl: string, body: () => Promise<T>): Promise<T> {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imdsUrl;
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    try {
      return await body();
    } finally {
      process.env = saved;
    }
  }

  it("waits for the instance role's credentials when they reach IMDS late (a first boot), and says so once", async () => {
    eks = await startEks();
    const imds = await startImds();
    const role = 'iam/security-credentials/eks-node-role';
    const token = await (await fetch(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const answer = await (await fetch(`${imds.url}/latest/meta-data/${role}`, { headers: { 'x-aws-ec2-metadata-token': token } })).text();
    // IMDS answers 404 for the role until its credentials propagate, as EC2 may at an instance's first seconds
    imds.setMetaData(role, null);
    const back = setTimeout(() => imds.setMetaData(role, answer), 1_200);
    const lines: string[] = [];
    try {
      const c = await withImdsChain(imds.url, () =>
        describeCluster('test-cluster', { region: 'us-west-2', endpoint: eks!.url, timeoutMs: 10_000, onNote: (l) => lines.push(l) }),
      );
      expect(c.status).toBe('ACTIVE');
      expect(imds.requests.filter((r) => r.path === '/latest/meta-data/iam/security-credentials/' && r.status === 404).length).toBeGreaterThan(1);
      expect(eks.requests.map((r) => r.accessKeyId)).toEqual(['ASIAEMULATEDIMDS0001']);
      expect(lines).toEqual([
        expect.stringMatching(/^note: eks:DescribeCluster for cluster "test-cluster": no AWS credentials yet \(.+\); trying again until 10s have passed$/),
      ]);
    } finally {
      clearTimeout(back);
      await imds.close();
    }
  });

  it('gives up at its deadline when the instance has no profile, and says where credentials come from', async () => {
    eks = await startEks();
    const imds = await startImds({ instance: { roleName: undefined } });
    try {
      const started = Date.now();
      const err = await failure(withImdsChain(imds.url, () => describeCluster('test-cluster', { region: 'us-west-2', endpoint: eks!.url, timeoutMs: 1_500 })));
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(err.message).toMatch(
        /^eks:DescribeCluster for cluster "test-cluster" failed: no AWS credentials \(CredentialsProviderError: .+, \d+ attempts over \d+\.\d s\): on a node they come from its instance profile \(IMDS meta-data\/iam\/security-credentials\/\); `eks-node-agent doctor` checks it$/,
      );
      expect(eks.requests).toEqual([]);
    } finally {
      await imds.close();
    }
  });

  it('signs with the instance role from IMDS when no credentials are given (the node path)', async () => {
    eks = await startEks();
    const imds = await startImds();
    const saved = { ...process.env };
    // The SDK's default chain reads these itself; point it at the emulated IMDS and nothing else.
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.url;
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    try {
      const c = await describeCluster('test-cluster', { region: 'us-west-2', endpoint: eks.url, timeoutMs: 5_000 });
      expect(c.status).toBe('ACTIVE');
      expect(imds.count('/latest/meta-data/iam/security-credentials/eks-node-role')).toBeGreaterThan(0);
      expect(eks.requests[0]?.signed).toBe(true);
    } finally {
      process.env = saved;
      await imds.close();
    }
  });
});

describe('failureReason', () => {
  it("drops callAws's naming of the call for a line that names it already, and leaves other errors whole", async () => {
    eks = await startEks({ accessDenied: true });
    const err = await failure(describeCluster('prod', opts()));
    expect(failureReason(err, 'eks:DescribeCluster')).toMatch(/^AccessDeniedException: .*\[HTTP 403\]$/);
    expect(failureReason(new Error('socket hang up'), 'eks:DescribeCluster')).toBe('socket hang up');
    expect(failureReason(err, 'sts:GetCallerIdentity')).toBe(err.message);
  });
});
