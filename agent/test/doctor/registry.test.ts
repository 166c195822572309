import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../../../test/support/connect-proxy.js';
import { startSocksProxy } from '../../../test/support/socks-proxy.js';
import { createTestCa, issueServerCert, type TestCert } from '../../../test/support/pki.js';
import { registryCheck } from '../../src/doctor/checks/registry.js';
import { runChecks, type Check } from '../../src/doctor/runner.js';
import type { ServiceEnvironment } from '../../src/apply/unit-status.js';
import type { ConfigValue } from '../../src/doctor/checks/config.js';
import type { DoctorDeps } from '../../src/doctor/types.js';

/*
 * doctor's registry line: containerd pulls the images with its own environment, so the line dials
 * the registry of the kubelet's failed pull as containerd would (its proxy, or directly; TLS
 * against the system bundle). Real sockets: a loopback TLS server stands in for the registry (a
 * TEST DOUBLE: only the handshake is asked of it) and the CONNECT proxy double of test/support.
 */

const REGISTRY = 'registry.corp.example';
const ECR = '602401143452.dkr.ecr.us-west-2.amazonaws.com';
const BUNDLE = '/etc/pki/tls/certs/ca-bundle.crt';
/** a private ECR registry and the API its tokens come from, served by the loopback TLS server through the proxy double */
const PRIVATE_ECR = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const ECR_API = 'api.ecr.eu-west-1.amazonaws.com';
/** the same registry's dual-stack name, and the API's FIPS and dual-stack hosts (the SDK's rules, agent/test/aws/partition.test.ts) */
const PRIVATE_ECR_DUAL_STACK = '111122223333.dkr-ecr.eu-west-1.on.aws';
const ECR_API_FIPS = 'api.ecr-fips.eu-west-1.amazonaws.com';
const ECR_API_DUAL_STACK = 'ecr.eu-west-1.api.aws';
const ECR_API_OVERRIDE = 'ecr.corp.example';

function config(environment?: Record<string, Record<string, string>>): ConfigValue {
  const cluster = { name: 'c', apiServerEndpoint: 'https://abcdef.gr7.us-west-2.eks.amazonaws.com', certificateAuthority: 'eA==', cidr: '10.100.0.0/16' };
  const source = {
    apiVersion: 'node.eks.aws/v1alpha1' as const,
    kind: 'NodeConfig' as const,
    spec: { cluster, ...(environment ? { instance: { environment } } : {}) },
  };
  return {
    origins: {},
    config: source,
    source,
    cluster: { cluster, fetched: [], origin: 'user data', warnings: [] },
    versionWarnings: [],
    identity: { region: 'us-west-2' },
  } as unknown as ConfigValue;
}

/** A kubelet journal line for a pull of `image` that failed with `err`, as the kubelet logs it. */
const pullLine = (image: string, err: string): string =>
  `Dec 07 10:11:12 node kubelet[901]: E1207 10:11:12.123456     901 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${image}\\": ${err}" image="${image}"`;

interface Node {
  journal?: string[];
  /** containerd's journal lines (the kubelet's are `journal`) */
  containerdJournal?: string[];
  units?: Record<string, ServiceEnvironment>;
  names?: Record<string, string[]>;
  files?: Record<string, string>;
}

function deps(node: Node) {
  const asked: string[] = [];
  const d = {
    journal: async (unit: string) => (unit === 'containerd.service' ? (node.containerdJournal ?? []) : (node.journal ?? [])),
    lookup: async (host: string) => {
      asked.push(host);
      const addresses = node.names?.[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses;
    },
    readFile: async (path: string) => (node.files?.[path] === undefined ? undefined : { content: Buffer.from(node.files[path]!), mode: 0o644 }),
    listDir: async (dir: string) => {
      const names = Object.keys(node.files ?? {})
        .filter((path) => path.startsWith(`${dir}/`) && !path.slice(dir.length + 1).includes('/'))
        .map((path) => path.slice(dir.length + 1));
      return names.length > 0 ? names : undefined;
    },
    serviceEnvironment: async (unit: string): Promise<ServiceEnvironment> => node.units?.[unit] ?? { unit: undefined, manager: {} },
  } as unknown as DoctorDeps;
  return { d, asked };
}

async function registry(node: Node, cfg = config()) {
  const { d, asked } = deps(node);
  const provide: Check = { name: 'config', needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value: cfg }) };
  const results = await runChecks([provide, registryCheck(d)], 15_000);
  return { r: results.at(-1)!, asked };
}

const env = (unit: Record<string, string>): ServiceEnvironment => ({ unit, manager: {} });

let ca: TestCert;
let otherCa: TestCert;
let server: tls.Server;
let port: number;
let proxy: ConnectProxy;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa({ commonName: 'registry-ca' }), createTestCa({ commonName: 'inspecting-proxy-ca' })]);
  const cert = await issueServerCert(ca, {
    commonName: REGISTRY,
    sans: [REGISTRY, PRIVATE_ECR, PRIVATE_ECR_DUAL_STACK, ECR_API, ECR_API_FIPS, ECR_API_DUAL_STACK, ECR_API_OVERRIDE].map((name) => `DNS:${name}`),
  });
  server = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  const served = [PRIVATE_ECR, PRIVATE_ECR_DUAL_STACK, ECR_API, ECR_API_FIPS, ECR_API_DUAL_STACK, ECR_API_OVERRIDE].map((name) => [name, `127.0.0.1:${port}`]);
  proxy = await startConnectProxy({ hosts: { [REGISTRY]: '127.0.0.1', ...Object.fromEntries(served) } });
});

afterAll(async () => {
  await Promise.all([new Promise((resolve) => server?.close(resolve)), proxy?.close()]);
});

describe('the registry line without a failed pull', () => {
  it("dials nothing and says how containerd reaches the region's add-on registry", async () => {
    const { r, asked } = await registry({ units: { 'containerd.service': env({ HTTPS_PROXY: 'http://10.0.0.5:3128', NO_PROXY: '169.254.169.254' }) } });
    expect(r).toMatchObject({
      status: 'ok',
      detail: `no image pull failed in the kubelet's journal; containerd reaches ${ECR} (the cluster's add-on images) through the proxy 10.0.0.5:3128 (HTTPS_PROXY in containerd's environment)`,
    });
    expect(asked).toEqual([]);
  });

  it('says so when the journal cannot be read, rather than that no pull failed', async () => {
    const { d } = deps({});
    const unreadable = {
      ...d,
      journal: async () => {
        throw new Error('journalctl: exit 1: No journal files were opened due to insufficient permissions.');
      },
    } as DoctorDeps;
    const provide: Check = { name: 'config', needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value: config() }) };
    const r = (await runChecks([provide, registryCheck(unreadable)], 15_000)).at(-1)!;
    expect(r).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(
        /^the kubelet's journal could not be read, so no failed pull is judged \(.*insufficient permissions\.\); containerd reaches /,
      ),
    });
  });

  it('warns when the kubelet has a proxy for the registry and containerd, which pulls, has none', async () => {
    const { r } = await registry({
      units: { 'kubelet.service': env({ HTTPS_PROXY: 'http://10.0.0.5:3128' }), 'containerd.service': env({ LANG: 'C.UTF-8' }) },
    });
    expect(r).toMatchObject({ status: 'warn', detail: expect.stringContaining(`containerd reaches ${ECR} (the cluster's add-on images) directly`) });
    expect(r.hint).toContain("the kubelet's environment sends");
    expect(r.hint).toContain('spec.instance.environment.default');
  });

  it("reads the user data's environment for a unit systemd has not loaded: spec.instance.environment.kubelet alone is the slip", async () => {
    const { r } = await registry({}, config({ kubelet: { HTTPS_PROXY: 'http://10.0.0.5:3128' } }));
    expect(r.status).toBe('warn');
    expect(r.hint).toMatch(/^the kubelet's environment sends \S+ through the proxy 10\.0\.0\.5:3128 \(HTTPS_PROXY in spec\.instance\.environment\)/);
    const both = await registry({}, config({ default: { HTTPS_PROXY: 'http://10.0.0.5:3128' } }));
    expect(both.r).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('through the proxy 10.0.0.5:3128 (HTTPS_PROXY in spec.instance.environment)'),
    });
  });
});

describe("the registry line dials the failed pull's registry as containerd does", () => {
  const image = (): string => `${REGISTRY}:${port}/team/app:1.0`;
  const timeout = (): string => pullLine(image(), `dial tcp 10.9.8.7:${port}: i/o timeout`);
  const trusted = (): Record<string, string> => ({ [BUNDLE]: ca.certPem });

  it('directly: reached and verified now, so the failure may have passed', async () => {
    const { r, asked } = await registry({ journal: [timeout()], names: { [REGISTRY]: ['127.0.0.1'] }, files: trusted() });
    expect(r).toMatchObject({
      status: 'warn',
      detail: `the kubelet's journal shows the pull of ${image()} failing (dial tcp 10.9.8.7:${port}: i/o timeout); containerd reaches ${REGISTRY}:${port} directly now, TLS verified`,
    });
    expect(r.hint).toContain(`crictl pull ${image()}`);
    expect(asked).toEqual([REGISTRY]);
  });

  it("directly: a registry whose name does not resolve, and one signed by a CA the node's bundle lacks", async () => {
    const unresolved = await registry({ journal: [timeout()], files: trusted() });
    expect(unresolved.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`; ${REGISTRY} does not resolve on the node: .*ENOTFOUND`)),
    });
    const inspected = await registry({ journal: [timeout()], names: { [REGISTRY]: ['127.0.0.1'] }, files: { [BUNDLE]: otherCa.certPem } });
    expect(inspected.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(`; the certificate presented for ${REGISTRY} is not signed by an authority in ${BUNDLE} \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)$`),
      ),
    });
    expect(inspected.r.hint).toContain('update-ca-trust');
    // SSL_CERT_FILE in containerd's environment is the bundle it trusts instead
    const own = await registry({
      journal: [timeout()],
      names: { [REGISTRY]: ['127.0.0.1'] },
      files: { [BUNDLE]: otherCa.certPem, '/etc/corp/ca.pem': ca.certPem },
      units: { 'containerd.service': env({ SSL_CERT_FILE: '/etc/corp/ca.pem' }) },
    });
    expect(own.r).toMatchObject({ status: 'warn', detail: expect.stringContaining('directly now, TLS verified') });
  });

  it("takes a failure containerd's journal shows pulled since as passed, and dials nothing for it; an older pull clears nothing", async () => {
    // containerd's own line for a pull that succeeded, at `when` (the kubelet's lines are Dec 07 10:11:12)
    const pulled = (when: string, ref: string) =>
      `Dec 07 ${when} node containerd[812]: time="2026-12-07T${when}Z" level=info msg="PullImage \\"${ref}\\" returns image reference \\"sha256:0a1b\\""`;
    const passed = await registry({ journal: [timeout()], containerdJournal: [pulled('10:12:40', image())], names: { [REGISTRY]: ['127.0.0.1'] } });
    expect(passed.r).toMatchObject({
      status: 'ok',
      detail: `the pull the kubelet's journal shows failing (${image()}) went through since: containerd's journal shows it pulled after the failure; containerd reaches ${ECR} (the cluster's add-on images) directly`,
    });
    expect(passed.asked).toEqual([]);
    // a pull before the failure, or of another image, leaves it standing: the registry is dialled
    const before = await registry({
      journal: [timeout()],
      containerdJournal: [pulled('10:10:00', image()), pulled('10:13:00', `${REGISTRY}:${port}/team/other:1.0`)],
      names: { [REGISTRY]: ['127.0.0.1'] },
      files: trusted(),
    });
    expect(before.r).toMatchObject({ status: 'warn', detail: expect.stringContaining(`shows the pull of ${image()} failing`) });
    expect(before.asked).toEqual([REGISTRY]);
  });

  it("trusts a CA in Go's certificate directories beside the bundle, or SSL_CERT_DIR's instead", async () => {
    const names = { [REGISTRY]: ['127.0.0.1'] };
    // dropped beside the bundle without update-ca-trust: Go reads the directory too
    const dropped = await registry({ journal: [timeout()], names, files: { [BUNDLE]: otherCa.certPem, '/etc/pki/tls/certs/corp.pem': ca.certPem } });
    expect(dropped.r).toMatchObject({ status: 'warn', detail: expect.stringContaining('directly now, TLS verified') });
    const elsewhere = { [BUNDLE]: otherCa.certPem, '/etc/corp/certs/corp.pem': ca.certPem };
    const unread = await registry({ journal: [timeout()], names, files: elsewhere });
    expect(unread.r.detail).toContain(`not signed by an authority in ${BUNDLE} (`);
    const named = await registry({
      journal: [timeout()],
      names,
      files: elsewhere,
      units: { 'containerd.service': env({ SSL_CERT_DIR: '/etc/none:/etc/corp/certs' }) },
    });
    expect(named.r).toMatchObject({ status: 'warn', detail: expect.stringContaining('directly now, TLS verified') });
    const wrong = await registry({
      journal: [timeout()],
      names,
      files: { [BUNDLE]: otherCa.certPem, '/etc/corp/certs/other.pem': otherCa.certPem },
      units: { 'containerd.service': env({ SSL_CERT_DIR: '/etc/corp/certs' }) },
    });
    expect(wrong.r.detail).toContain(`not signed by an authority in ${BUNDLE} (`);
  });

  it("directly, with the proxy in the kubelet's environment alone: the failed step and the slip both named", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const deadImage = `${REGISTRY}:${dead}/team/app:1.0`;
    const { r } = await registry({
      journal: [pullLine(deadImage, `dial tcp 10.9.8.7:${dead}: i/o timeout`)],
      names: { [REGISTRY]: ['127.0.0.1'] },
      files: trusted(),
      units: { 'kubelet.service': env({ HTTPS_PROXY: proxy.url }), 'containerd.service': env({}) },
    });
    expect(r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`; TCP connect to ${REGISTRY}:${dead} \\(127\\.0\\.0\\.1\\) failed: .*ECONNREFUSED`)),
    });
    expect(r.hint).toMatch(
      new RegExp(
        `^the kubelet's environment sends ${REGISTRY}:${dead} through the proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTPS_PROXY in the kubelet's environment\\), but containerd, which pulls the images, dials it directly`,
      ),
    );
  });

  it("through containerd's proxy: the proxy resolves the registry, the node the proxy; a refusal names the status", async () => {
    const units = { 'containerd.service': env({ HTTPS_PROXY: proxy.url }) };
    const before = proxy.requests.length;
    const { r, asked } = await registry({ journal: [timeout()], files: trusted(), units });
    expect(r).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        new RegExp(
          `; containerd reaches ${REGISTRY}:${port} through the proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTPS_PROXY in containerd's environment\\) now, TLS verified$`,
        ),
      ),
    });
    expect(asked).toEqual([]);
    expect(proxy.requests.slice(before)).toEqual([{ method: 'CONNECT', target: `${REGISTRY}:${port}` }]);
    proxy.refuse(403, 'Forbidden');
    try {
      const refused = await registry({ journal: [timeout()], files: trusted(), units });
      expect(refused.r).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(
            `; the proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTPS_PROXY in containerd's environment\\) answered CONNECT ${REGISTRY}:${port} with 403 Forbidden$`,
          ),
        ),
      });
      expect(refused.r.hint).toContain('allow that host on the proxy');
      // 407: credentials to give in the URL, or, given there, to correct
      proxy.refuse(407, 'Proxy Authentication Required');
      const anonymous = await registry({ journal: [timeout()], files: trusted(), units });
      expect(anonymous.r.hint).toMatch(/^the proxy wants credentials, which containerd sends only from the proxy URL: give them in HTTPS_PROXY/);
      const withUser = { 'containerd.service': env({ HTTPS_PROXY: `http://node:wrong@127.0.0.1:${proxy.port}` }) };
      const wrong = await registry({ journal: [timeout()], files: trusted(), units: withUser });
      expect(wrong.r.hint).toMatch(/^the proxy refuses the credentials in HTTPS_PROXY in containerd's environment: correct them there/);
    } finally {
      proxy.refuse(undefined);
    }
  });

  it("dials the host the failed request went to (where the registry sent the layers), not the image's registry", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const blobs = `layers.corp.example:${dead}`;
    const line = pullLine(
      image(),
      `failed to copy: httpReadSeeker: failed open: failed to do request: Get \\"https://${blobs}/blobs/sha256:0a1b?sig=x\\": dial tcp 10.9.8.6:${dead}: i/o timeout`,
    );
    const { r, asked } = await registry({ journal: [line], names: { [REGISTRY]: ['127.0.0.1'], 'layers.corp.example': ['127.0.0.1'] }, files: trusted() });
    expect(r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`; TCP connect to ${blobs} \\(127\\.0\\.0\\.1\\) failed: .*ECONNREFUSED`)),
    });
    expect(asked).toEqual(['layers.corp.example']);
  });

  it("tries each of the name's addresses in turn, as Go's dialer does: one answering is enough, each failing names them all", async () => {
    // 127.0.0.2 is loopback too, where nothing listens on the registry double's port (it listens on 127.0.0.1 alone)
    const second = await registry({ journal: [timeout()], names: { [REGISTRY]: ['127.0.0.2', '127.0.0.1'] }, files: trusted() });
    expect(second.r).toMatchObject({ status: 'warn', detail: expect.stringContaining(`containerd reaches ${REGISTRY}:${port} directly now, TLS verified`) });
    const none = await registry({ journal: [timeout()], names: { [REGISTRY]: ['127.0.0.2', '127.0.0.3'] }, files: trusted() });
    expect(none.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `; TCP connect to ${REGISTRY}:${port} failed at each of its 2 addresses \\(127\\.0\\.0\\.2, 127\\.0\\.0\\.3\\), the first with: .*ECONNREFUSED 127\\.0\\.0\\.2:`,
        ),
      ),
    });
    // containerd's proxy named by a host name: the node dials its addresses in turn, and one that takes no connection is the proxy's fault, not the registry's
    const named = { 'containerd.service': env({ HTTPS_PROXY: `http://proxy.corp.example:${proxy.port}` }) };
    const before = proxy.requests.length;
    const through = await registry({ journal: [timeout()], names: { 'proxy.corp.example': ['127.0.0.2', '127.0.0.1'] }, files: trusted(), units: named });
    expect(through.r).toMatchObject({ status: 'warn', detail: expect.stringContaining(`through the proxy proxy.corp.example:${proxy.port}`) });
    expect(through.asked).toEqual(['proxy.corp.example']);
    expect(proxy.requests.slice(before)).toEqual([{ method: 'CONNECT', target: `${REGISTRY}:${port}` }]);
    const down = await registry({ journal: [timeout()], names: { 'proxy.corp.example': ['127.0.0.2'] }, files: trusted(), units: named });
    expect(down.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `; TCP connect to the proxy proxy\\.corp\\.example:${proxy.port} \\(HTTPS_PROXY in containerd's environment\\) at 127\\.0\\.0\\.2 failed: .*ECONNREFUSED`,
        ),
      ),
    });
    expect(down.r.hint).toContain('check its address in HTTPS_PROXY');
  });

  it("through containerd's SOCKS5 proxy, as Go follows socks5://: the proxy resolves the registry's name; its refusals name the reply", async () => {
    const socks = await startSocksProxy({ hosts: { [REGISTRY]: '127.0.0.1' }, credentials: { user: 'node', password: 's3cret' } });
    try {
      const units = { 'containerd.service': env({ HTTPS_PROXY: `socks5://node:s3cret@127.0.0.1:${socks.port}` }) };
      const { r, asked } = await registry({ journal: [timeout()], files: trusted(), units });
      expect(r).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(
          new RegExp(
            `; containerd reaches ${REGISTRY}:${port} through the proxy 127\\.0\\.0\\.1:${socks.port} \\(HTTPS_PROXY in containerd's environment\\) now, TLS verified$`,
          ),
        ),
      });
      // the node resolved nothing: the name went to the proxy, as Go sends it for socks5:// too
      expect(asked).toEqual([]);
      expect(socks.requests).toEqual([{ target: `${REGISTRY}:${port}`, sentAs: 'name', user: 'node' }]);
      socks.refuse(2);
      const ruled = await registry({ journal: [timeout()], files: trusted(), units });
      expect(ruled.r).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(
            `; the SOCKS proxy 127\\.0\\.0\\.1:${socks.port} \\(HTTPS_PROXY in containerd's environment\\) refused the connection to ${REGISTRY}:${port}: not allowed by its rules \\(reply 2\\)$`,
          ),
        ),
      });
      expect(ruled.r.hint).toContain("the proxy's rules do not let the node through");
      socks.refuse(4);
      expect((await registry({ journal: [timeout()], files: trusted(), units })).r.detail).toMatch(/: host unreachable \(reply 4\)$/);
      socks.refuse(undefined);
      const wrong = { 'containerd.service': env({ HTTPS_PROXY: `socks5://node:guess@127.0.0.1:${socks.port}` }) };
      const denied = await registry({ journal: [timeout()], files: trusted(), units: wrong });
      expect(denied.r).toMatchObject({ status: 'fail', detail: expect.stringMatching(/refused the connection to \S+: refused the user name and password$/) });
      expect(denied.r.hint).toContain('correct them there (socks5://user:password@host:port)');
      // the slip of the scheme: an http:// URL for this SOCKS5 proxy
      const asHttp = { 'containerd.service': env({ HTTPS_PROXY: `http://node:s3cret@127.0.0.1:${socks.port}` }) };
      const slip = await registry({ journal: [timeout()], files: trusted(), units: asHttp });
      expect(slip.r).toMatchObject({ status: 'fail', detail: expect.stringMatching(/ does not take a plain CONNECT \(.+\), and it answers SOCKS5$/) });
      expect(slip.r.hint).toBe(
        "containerd speaks HTTP to a proxy its URL names with http://, and this one is a SOCKS5 proxy: write the URL with socks5:// in HTTPS_PROXY in containerd's environment",
      );
    } finally {
      await socks.close();
    }
  });

  it("an ECR pull refused for want of a token: the kubelet's credential provider must reach ECR's API with the kubelet's environment", async () => {
    const image = `${PRIVATE_ECR}/team/app:1.0`;
    const refused = pullLine(
      image,
      `failed to resolve reference \\"${image}\\": pulling from host ${PRIVATE_ECR} failed with status code [manifests 1.0]: 401 Unauthorized`,
    );
    const through = env({ HTTPS_PROXY: proxy.url });
    const before = proxy.requests.length;
    const reached = await registry({ journal: [refused], files: trusted(), units: { 'containerd.service': through, 'kubelet.service': through } });
    expect(reached.r).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        new RegExp(
          `; containerd reaches ${PRIVATE_ECR} through the proxy .* now, TLS verified, and the kubelet's ecr-credential-provider reaches ${ECR_API} through the proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTPS_PROXY in the kubelet's environment\\)$`,
        ),
      ),
    });
    expect(reached.r.hint).toContain('AmazonEC2ContainerRegistryPullOnly');
    expect(proxy.requests.slice(before).map((q) => q.target)).toEqual([`${PRIVATE_ECR}:443`, `${ECR_API}:443`]);
    // the proxy for containerd alone: the credential provider dials the API itself, and the node cannot resolve it
    const direct = await registry({ journal: [refused], files: trusted(), units: { 'containerd.service': through, 'kubelet.service': env({}) } });
    expect(direct.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(`, but the kubelet's ecr-credential-provider cannot reach ${ECR_API}: ${ECR_API} does not resolve on the node: .*ENOTFOUND`),
      ),
    });
    expect(direct.r.hint).toContain('com.amazonaws.eu-west-1.ecr.api VPC endpoint beside ecr.dkr');
    expect(direct.asked).toEqual([ECR_API]);
  });

  it("asks ECR's API where the kubelet's environment sends the credential provider: its variants and overrides, not the registry's name", async () => {
    const refusedAt = (registryHost: string): string => {
      const image = `${registryHost}/team/app:1.0`;
      return pullLine(
        image,
        `failed to resolve reference \\"${image}\\": pulling from host ${registryHost} failed with status code [manifests 1.0]: 401 Unauthorized`,
      );
    };
    const through = (extra: Record<string, string> = {}) => env({ HTTPS_PROXY: proxy.url, ...extra });
    const asked = async (kubelet: Record<string, string>, registryHost = PRIVATE_ECR) => {
      const before = proxy.requests.length;
      const { r } = await registry({
        journal: [refusedAt(registryHost)],
        files: trusted(),
        units: { 'containerd.service': through(), 'kubelet.service': through(kubelet) },
      });
      return { r, targets: proxy.requests.slice(before).map((q) => q.target) };
    };
    // the registry's dual-stack name, standard environment: the standard API
    const dualRegistry = await asked({}, PRIVATE_ECR_DUAL_STACK);
    expect(dualRegistry.targets).toEqual([`${PRIVATE_ECR_DUAL_STACK}:443`, `${ECR_API}:443`]);
    expect(dualRegistry.r).toMatchObject({ status: 'warn', detail: expect.stringContaining(`ecr-credential-provider reaches ${ECR_API} through the proxy`) });
    // FIPS, then FIPS and dual-stack: the hosts the variables choose, and the words say which chose them
    const fips = await asked({ AWS_USE_FIPS_ENDPOINT: 'TRUE' });
    expect(fips.targets).toEqual([`${PRIVATE_ECR}:443`, `${ECR_API_FIPS}:443`]);
    expect(fips.r.detail).toContain(
      `reaches ${ECR_API_FIPS} (its FIPS endpoint, which AWS_USE_FIPS_ENDPOINT in the kubelet's environment chose) through the proxy`,
    );
    const dual = await asked({ AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    expect(dual.targets).toEqual([`${PRIVATE_ECR}:443`, `${ECR_API_DUAL_STACK}:443`]);
    // an override: the service's own variable before AWS_ENDPOINT_URL
    const override = await asked({ AWS_ENDPOINT_URL_ECR: `https://${ECR_API_OVERRIDE}`, AWS_ENDPOINT_URL: 'https://other.example' });
    expect(override.targets).toEqual([`${PRIVATE_ECR}:443`, `${ECR_API_OVERRIDE}:443`]);
    expect(override.r.detail).toContain(`reaches ${ECR_API_OVERRIDE} (AWS_ENDPOINT_URL_ECR in the kubelet's environment)`);
    // the overrides switched off: the provider asks the variants' host, and an override beside a variant is no fault then
    const ignored = await asked({
      AWS_ENDPOINT_URL_ECR: `https://${ECR_API_OVERRIDE}`,
      AWS_USE_FIPS_ENDPOINT: 'true',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'True',
    });
    expect(ignored.targets).toEqual([`${PRIVATE_ECR}:443`, `${ECR_API_FIPS}:443`]);
    expect(ignored.r.status).toBe('warn');
    // settings with which the provider asks for no token at all: named, and nothing dialled for the API
    const badSwitch = await asked({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '1' });
    expect(badSwitch.targets).toEqual([`${PRIVATE_ECR}:443`]);
    expect(badSwitch.r).toMatchObject({ status: 'fail', detail: expect.stringContaining('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=1 in the kubelet') });
    const refused = await asked({ AWS_USE_FIPS_ENDPOINT: 'yes' });
    expect(refused.targets).toEqual([`${PRIVATE_ECR}:443`]);
    expect(refused.r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /, but AWS_USE_FIPS_ENDPOINT=yes in the kubelet's environment is no true or false, so the AWS SDK for Go refuses to load its configuration/,
      ),
      hint: expect.stringContaining('set AWS_USE_FIPS_ENDPOINT to true or false'),
    });
    const both = await asked({ AWS_ENDPOINT_URL: `https://${ECR_API_OVERRIDE}`, AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    expect(both.targets).toEqual([`${PRIVATE_ECR}:443`]);
    expect(both.r).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        "AWS_ENDPOINT_URL and AWS_USE_DUALSTACK_ENDPOINT are both set in the kubelet's environment, and the AWS SDK's endpoint rules refuse a dual-stack endpoint beside an override",
      ),
    });
    // the FIPS host out of the node's reach: the hint names the variable, not the ecr.api VPC endpoint
    const unreachable = await registry({
      journal: [refusedAt(PRIVATE_ECR)],
      files: trusted(),
      units: { 'containerd.service': through(), 'kubelet.service': env({ AWS_USE_FIPS_ENDPOINT: 'true' }) },
    });
    expect(unreachable.r).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        `cannot reach ${ECR_API_FIPS} (its FIPS endpoint, which AWS_USE_FIPS_ENDPOINT in the kubelet's environment chose): ${ECR_API_FIPS} does not resolve`,
      ),
    });
    expect(unreachable.r.hint).toMatch(/not every region has that host nor every network \(or VPC endpoint\) reaches it/);
    expect(unreachable.asked).toEqual([ECR_API_FIPS]);
  });

  it('a pull refused for credentials: reached, and the hint is the credentials one', async () => {
    const denied = pullLine(
      image(),
      `failed to resolve reference \\"${image()}\\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
    );
    const { r } = await registry({ journal: [denied], names: { [REGISTRY]: ['127.0.0.1'] }, files: trusted() });
    expect(r.status).toBe('warn');
    expect(r.hint).toContain('refused the pull');
  });
});
