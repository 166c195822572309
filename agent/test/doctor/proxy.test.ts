import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../test/emulators/apiserver.js';
import { startConnectProxy, type ConnectProxy } from '../../../test/support/connect-proxy.js';
import { startSocksProxy } from '../../../test/support/socks-proxy.js';
import { startImds } from '../../../test/emulators/imds.js';
import { createImds } from '../../src/aws/imds.js';
import { imdsCheck } from '../../src/doctor/checks/imds.js';
import { createTestCa, issueServerCert } from '../../../test/support/pki.js';
import { type Reach, dnsCheck, tcpCheck, tlsCheck } from '../../src/doctor/checks/endpoint.js';
import { apiRequest, parseEndpoint, parseProxy } from '../../src/doctor/net.js';
import { runChecks, type Check } from '../../src/doctor/runner.js';
import type { ServiceEnvironment } from '../../src/apply/unit-status.js';
import type { ConfigValue } from '../../src/doctor/checks/config.js';
import type { DoctorDeps } from '../../src/doctor/types.js';

/*
 * doctor's endpoint lines on a node whose kubelet reaches the API server through an HTTP proxy
 * (client-go takes HTTPS_PROXY/NO_PROXY from the kubelet's environment): the dns line resolves
 * the proxy's name, the tcp line dials the proxy, the tls line opens a CONNECT tunnel and
 * verifies the API server's certificate through it, and the API lines ask through it. Real
 * sockets: the loopback proxy double of test/support and the API server emulator.
 */

const ENDPOINT = 'https://abcdef.gr7.us-west-2.eks.amazonaws.com';

function config(environment?: Record<string, Record<string, string>>, endpoint = ENDPOINT): ConfigValue {
  const cluster = { name: 'c', apiServerEndpoint: endpoint, certificateAuthority: 'eA==', cidr: '10.100.0.0/16' };
  const source = {
    apiVersion: 'node.eks.aws/v1alpha1' as const,
    kind: 'NodeConfig' as const,
    spec: { cluster, ...(environment ? { instance: { environment } } : {}) },
  };
  return { origins: {}, config: source, source, cluster: { cluster, fetched: [], origin: 'user data', warnings: [] }, versionWarnings: [] } as ConfigValue;
}

/** Deps with a resolver that names what it was asked, and systemd's answer for the kubelet (none: not asked or not loaded). */
function deps(kubelet?: ServiceEnvironment, names: Record<string, string[]> = {}) {
  const asked: string[] = [];
  const d = {
    lookup: async (host: string) => {
      asked.push(host);
      const addresses = names[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses;
    },
    ...(kubelet ? { serviceEnvironment: async () => kubelet } : {}),
  } as unknown as DoctorDeps;
  return { d, asked };
}

async function dns(cfg: ConfigValue, d: DoctorDeps) {
  const provide: Check = { name: 'config', needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value: cfg }) };
  const results = await runChecks([provide, dnsCheck(d)], 5_000);
  return results.at(-1)!;
}

/** The check's result, the check it needs giving `value`. */
async function given(name: string, value: Reach, check: Check) {
  const provide: Check = { name, needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value }) };
  const results = await runChecks([provide, check], 10_000);
  return results.at(-1)!;
}

/** GET /version of the API server `r` names, through its proxy, verified against its CA. */
const askVersion = (r: Reach) => apiRequest({ endpoint: r.endpoint, caPem: r.caPem, method: 'GET', path: '/version', timeoutMs: 5_000, proxy: r.proxy! });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('which proxy the kubelet reaches the endpoint through, as the dns line reads it', () => {
  const live = (unit: Record<string, string>, manager: Record<string, string> = {}): ServiceEnvironment => ({ unit, manager });

  it('takes HTTPS_PROXY from what systemd gives the kubelet, and resolves the proxy instead of the endpoint', async () => {
    const { d, asked } = deps(live({ HTTPS_PROXY: 'proxy.corp.example:3128' }), { 'proxy.corp.example': ['10.0.0.5', '10.0.1.5'] });
    const r = await dns(config(), d);
    expect(r).toMatchObject({
      status: 'ok',
      detail:
        "abcdef.gr7.us-west-2.eks.amazonaws.com is reached through the proxy proxy.corp.example:3128 (HTTPS_PROXY in the kubelet's environment), which resolves it; proxy.corp.example resolves to 10.0.0.5, 10.0.1.5",
    });
    expect(asked).toEqual(['proxy.corp.example']);
    expect((r.value as Reach).proxy).toMatchObject({ url: 'http://proxy.corp.example:3128', port: 3128 });
    expect((r.value as Reach).addresses).toEqual(['10.0.0.5', '10.0.1.5']);
  });

  it('reads the manager default environment under the unit, upper case before lower case (Go), and shows no credentials', async () => {
    const { d } = deps(live({}, { https_proxy: 'http://other:1', HTTPS_PROXY: 'http://user:secret@10.0.0.9:8080' }));
    const r = await dns(config(), d);
    expect(r.detail).toBe(
      "abcdef.gr7.us-west-2.eks.amazonaws.com is reached through the proxy 10.0.0.9:8080 (HTTPS_PROXY in the kubelet's environment), which resolves it",
    );
    expect(r.detail).not.toContain('secret');
  });

  it('dials directly where NO_PROXY covers the endpoint, or for localhost and loopback, which Go never proxies', async () => {
    for (const noProxy of ['.eks.amazonaws.com', 'eks.amazonaws.com,169.254.169.254', '*']) {
      const { d, asked } = deps(live({ HTTPS_PROXY: 'http://10.0.0.5:3128', NO_PROXY: noProxy }), { 'abcdef.gr7.us-west-2.eks.amazonaws.com': ['10.0.3.4'] });
      const r = await dns(config(), d);
      expect(r.detail, noProxy).toBe('abcdef.gr7.us-west-2.eks.amazonaws.com resolves to 10.0.3.4');
      expect((r.value as Reach).proxy, noProxy).toBeUndefined();
      expect(asked).toEqual(['abcdef.gr7.us-west-2.eks.amazonaws.com']);
    }
    for (const endpoint of ['https://localhost:6443', 'https://127.0.0.1:6443']) {
      const { d } = deps(live({ HTTPS_PROXY: 'http://10.0.0.5:3128' }), { localhost: ['127.0.0.1'] });
      expect(((await dns(config(undefined, endpoint), d)).value as Reach).proxy, endpoint).toBeUndefined();
    }
    // a SOCKS5 proxy is followed as Go follows it, at SOCKS's port when the URL names none; the proxy resolves the name
    const { d: socks, asked: socksAsked } = deps(live({ HTTPS_PROXY: 'socks5://10.0.0.5' }), { 'abcdef.gr7.us-west-2.eks.amazonaws.com': ['10.0.3.4'] });
    const throughSocks = await dns(config(), socks);
    expect(throughSocks.detail).toBe(
      "abcdef.gr7.us-west-2.eks.amazonaws.com is reached through the proxy 10.0.0.5:1080 (HTTPS_PROXY in the kubelet's environment), which resolves it",
    );
    expect((throughSocks.value as Reach).proxy).toMatchObject({ protocol: 'socks5:', port: 1080 });
    expect(socksAsked).toEqual([]);
    // HTTP_PROXY alone: a Go client sends https requests direct
    const { d } = deps(live({ HTTP_PROXY: 'http://10.0.0.5:3128' }), { 'abcdef.gr7.us-west-2.eks.amazonaws.com': ['10.0.3.4'] });
    expect(((await dns(config(), d)).value as Reach).proxy).toBeUndefined();
  });

  it("where systemd cannot say, takes the user data's: every service's variables, the kubelet's own over them", async () => {
    const { d } = deps(undefined);
    const r = await dns(config({ default: { HTTPS_PROXY: 'http://10.0.0.5:3128' }, kubelet: { HTTPS_PROXY: 'http://10.0.0.6:3128' } }), d);
    expect(r.detail).toBe(
      'abcdef.gr7.us-west-2.eks.amazonaws.com is reached through the proxy 10.0.0.6:3128 (HTTPS_PROXY in spec.instance.environment), which resolves it',
    );
  });

  it('warns when a NO_PROXY CIDR holds the address the endpoint resolves to: the kubelet matches the name only, so it still goes through the proxy', async () => {
    const names = { 'abcdef.gr7.us-west-2.eks.amazonaws.com': ['10.0.3.4'] };
    const { d } = deps(live({ HTTPS_PROXY: 'http://10.0.0.5:3128', NO_PROXY: '169.254.169.254,10.0.0.0/16' }), names);
    const r = await dns(config(), d);
    expect(r.status).toBe('warn');
    expect(r.detail).toMatch(
      /reached through the proxy 10\.0\.0\.5:3128 .*; NO_PROXY's 10\.0\.0\.0\/16 holds 10\.0\.3\.4, which abcdef\.gr7\.us-west-2\.eks\.amazonaws\.com resolves to on the node, but the kubelet matches NO_PROXY against the name in the URL, never its addresses$/,
    );
    expect(r.hint).toBe(
      'if the node should reach the endpoint directly, as that CIDR suggests, put abcdef.gr7.us-west-2.eks.amazonaws.com (or .eks.amazonaws.com) in NO_PROXY',
    );
    // the next lines go on through the proxy, and a failing tunnel repeats why
    expect((r.value as Reach).proxy?.bypassMissed).toMatch(/^NO_PROXY's 10\.0\.0\.0\/16 holds 10\.0\.3\.4/);
    // the domain named is the endpoint's own partition's
    const china = 'abcdef.yl4.cn-north-1.eks.amazonaws.com.cn';
    const { d: cn } = deps(live({ HTTPS_PROXY: 'http://10.0.0.5:3128', NO_PROXY: '10.0.0.0/16' }), { [china]: ['10.0.3.4'] });
    expect((await dns(config(undefined, `https://${china}`), cn)).hint).toBe(
      `if the node should reach the endpoint directly, as that CIDR suggests, put ${china} (or .eks.amazonaws.com.cn) in NO_PROXY`,
    );
    // a CIDR that holds none of the endpoint's addresses (a public endpoint) says nothing
    const { d: other } = deps(live({ HTTPS_PROXY: 'http://10.0.0.5:3128', NO_PROXY: '10.0.0.0/16' }), {
      'abcdef.gr7.us-west-2.eks.amazonaws.com': ['3.5.140.2'],
    });
    expect((await dns(config(), other)).status).toBe('ok');
  });

  it("fails, naming the variable, when the proxy's own name does not resolve", async () => {
    const { d } = deps(live({ HTTPS_PROXY: 'http://proxy.corp.example:3128' }));
    const r = await dns(config(), d);
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^the proxy's name proxy\.corp\.example \(HTTPS_PROXY in the kubelet's environment\) does not resolve: /);
    expect(r.hint).toContain('NO_PROXY');
  });
});

describe('the tcp, tls and API lines through the proxy', () => {
  let api: ApiServer;
  let inspecting: ApiServer;
  let proxy: ConnectProxy;
  const name = 'api.proxied.test';
  beforeAll(async () => {
    api = await startApiServer({ sans: [`DNS:${name}`] });
    // a TLS-inspecting proxy's certificate: signed by a CA of its own
    inspecting = await startApiServer({ ca: await createTestCa({ commonName: 'corp-inspection' }), sans: [`DNS:${name}`] });
    proxy = await startConnectProxy({ hosts: { [name]: '127.0.0.1' } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api?.close(), inspecting?.close(), proxy?.close()]);
  });

  const reach = (port: number, proxyUrl = proxy.url): Reach => {
    const endpoint = parseEndpoint(`https://${name}:${port}`);
    return {
      endpoint,
      address: '127.0.0.1',
      addresses: ['127.0.0.1'],
      caPem: api.caPem,
      proxy: parseProxy(proxyUrl, "HTTPS_PROXY in the kubelet's environment"),
    };
  };

  it('dials the proxy, not the endpoint, on the tcp line; nothing listening there names the proxy', async () => {
    const ok = await given('dns', reach(api.port), tcpCheck());
    expect(ok).toMatchObject({ status: 'ok', detail: `connected to the proxy at 127.0.0.1:${proxy.port}` });
    const port = await closedPort();
    const none = await given('dns', reach(api.port, `http://127.0.0.1:${port}`), tcpCheck());
    expect(none.status).toBe('fail');
    expect(none.detail).toMatch(new RegExp(`^TCP connect to the proxy at 127\\.0\\.0\\.1:${port} failed: `));
    expect(none.hint).toMatch(
      /^the kubelet reaches the API server only through the proxy HTTPS_PROXY in the kubelet's environment names, and nothing listens there/,
    );
  });

  it('verifies the certificate through a CONNECT tunnel, and asks the API server through the proxy', async () => {
    const before = proxy.requests.length;
    const r = await given('tcp', reach(api.port), tlsCheck());
    expect(r.status, r.detail).toBe('ok');
    expect(r.detail).toMatch(new RegExp(`verified against the cluster CA, through the proxy 127\\.0\\.0\\.1:${proxy.port}$`));
    const answer = await askVersion(reach(api.port));
    expect(answer.status).toBe(200);
    expect(proxy.requests.slice(before)).toEqual([
      { method: 'CONNECT', target: `${name}:${api.port}` },
      { method: 'CONNECT', target: `${name}:${api.port}` },
    ]);
  });

  it('sends the credentials of the proxy URL, and says what a 407 and a 403 mean', async () => {
    const before = proxy.requests.length;
    await given('tcp', reach(api.port, proxy.url.replace('http://', 'http://node%40corp:p%3Ass@')), tlsCheck());
    expect(proxy.requests[before]?.authorization).toBe(`Basic ${Buffer.from('node@corp:p:ss').toString('base64')}`);
    try {
      proxy.refuse(407, 'Proxy Authentication Required');
      const anonymous = await given('tcp', reach(api.port), tlsCheck());
      expect(anonymous).toMatchObject({
        status: 'fail',
        detail: `the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY in the kubelet's environment) answered CONNECT ${name}:${api.port} with 407 Proxy Authentication Required`,
      });
      expect(anonymous.hint).toMatch(/^the proxy wants credentials, which the kubelet sends only from the proxy URL/);
      const wrong = await given('tcp', reach(api.port, proxy.url.replace('http://', 'http://u:p@')), tlsCheck());
      expect(wrong.hint).toMatch(/^the proxy refuses the credentials in HTTPS_PROXY/);
      proxy.refuse(403, 'Forbidden');
      const denied = await given('tcp', reach(api.port), tlsCheck());
      expect(denied.detail).toMatch(/ with 403 Forbidden$/);
      expect(denied.hint).toMatch(
        /^the proxy does not let the node through to api\.proxied\.test:\d+: allow the endpoint's host on the proxy, or, .* NO_PROXY$/,
      );
    } finally {
      proxy.refuse(undefined);
    }
  });

  it("names the proxy's own reach when it cannot connect onward (502)", async () => {
    const port = await closedPort();
    const r = await given('tcp', reach(port), tlsCheck());
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/ with 502 Bad Gateway$/);
    expect(r.hint).toMatch(/^the proxy could not reach api\.proxied\.test:\d+ itself /);
    // with a NO_PROXY CIDR that was meant to send the kubelet there directly, the hint says why it did not
    const meant = { ...reach(port), proxy: { ...reach(port).proxy!, bypassMissed: "NO_PROXY's 127.0.0.0/8 holds 127.0.0.1, ..." } };
    expect((await given('tcp', meant, tlsCheck())).hint).toMatch(/ \(NO_PROXY's 127\.0\.0\.0\/8 holds 127\.0\.0\.1, \.\.\.\)$/);
  });

  it('suspects TLS inspection first when the certificate through the proxy is not the cluster CA', async () => {
    const r = await given('tcp', reach(inspecting.port), tlsCheck());
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^the API server's certificate is not signed by the cluster CA in the config/);
    expect(r.hint).toMatch(
      new RegExp(`^the proxy 127\\.0\\.0\\.1:${proxy.port} may be inspecting TLS: .*; else spec\\.cluster\\.certificateAuthority belongs to another`),
    );
  });
});

describe('an https:// proxy: TLS to the proxy, verified as the kubelet verifies it', () => {
  let api: ApiServer;
  let proxyCa: Awaited<ReturnType<typeof createTestCa>>;
  let tlsProxy: ConnectProxy;
  let plainProxy: ConnectProxy;
  const name = 'api.proxied.test';
  beforeAll(async () => {
    api = await startApiServer({ sans: [`DNS:${name}`] });
    // a corporate CA's certificate for the proxy's address only
    proxyCa = await createTestCa({ commonName: 'corp-proxy-ca' });
    const cert = await issueServerCert(proxyCa, { sans: ['IP:127.0.0.1'] });
    tlsProxy = await startConnectProxy({ hosts: { [name]: '127.0.0.1' }, tls: cert });
    plainProxy = await startConnectProxy({ hosts: { [name]: '127.0.0.1' } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api?.close(), tlsProxy?.close(), plainProxy?.close()]);
  });

  const reach = (proxyUrl: string, roots?: { pem: string; from: string }): Reach => ({
    endpoint: parseEndpoint(`https://${name}:${api.port}`),
    address: '127.0.0.1',
    addresses: ['127.0.0.1'],
    caPem: api.caPem,
    proxy: { ...parseProxy(proxyUrl, "HTTPS_PROXY in the kubelet's environment"), ...(roots ? { roots } : {}) },
  });

  it("reads the roots a Go program trusts, SSL_CERT_FILE's over the system bundle's, for an https:// proxy only", async () => {
    const files: Record<string, string> = { '/etc/pki/tls/certs/ca-bundle.crt': proxyCa.certPem, '/etc/corp/ca.pem': `# corp\n${api.caPem}` };
    const read = async (path: string) => (path in files ? { content: Buffer.from(files[path]!), mode: 0o644 } : undefined);
    const roots = async (unit: Record<string, string>) => {
      const d = { lookup: async () => ['10.0.0.5'], readFile: read, serviceEnvironment: async () => ({ unit, manager: {} }) } as unknown as DoctorDeps;
      return ((await dns(config(), d)).value as Reach).proxy?.roots;
    };
    expect(await roots({ HTTPS_PROXY: 'https://proxy.corp.example:3129' })).toEqual({ pem: proxyCa.certPem.trim(), from: '/etc/pki/tls/certs/ca-bundle.crt' });
    expect(await roots({ HTTPS_PROXY: 'https://proxy.corp.example:3129', SSL_CERT_FILE: '/etc/corp/ca.pem' })).toEqual({
      pem: api.caPem.trim(),
      from: 'SSL_CERT_FILE /etc/corp/ca.pem',
    });
    // a plain proxy has no certificate to verify
    expect(await roots({ HTTPS_PROXY: 'http://proxy.corp.example:3128' })).toBeUndefined();
  });

  it('tunnels through TLS to the proxy, its certificate verified against those roots, and asks the API server through it', async () => {
    const before = tlsProxy.requests.length;
    const roots = { pem: proxyCa.certPem, from: '/etc/pki/tls/certs/ca-bundle.crt' };
    const r = await given('tcp', reach(tlsProxy.url, roots), tlsCheck());
    expect(r.status, r.detail).toBe('ok');
    expect(r.detail).toMatch(new RegExp(`verified against the cluster CA, through the proxy 127\\.0\\.0\\.1:${tlsProxy.port}$`));
    const answer = await askVersion(reach(tlsProxy.url, roots));
    expect(answer.status).toBe(200);
    expect(tlsProxy.requests.slice(before)).toEqual([
      { method: 'CONNECT', target: `${name}:${api.port}` },
      { method: 'CONNECT', target: `${name}:${api.port}` },
    ]);
    // the API request verifies the proxy too: without its CA, no answer
    await expect(askVersion(reach(tlsProxy.url, { pem: api.caPem, from: 'x' }))).rejects.toMatchObject({
      code: expect.stringMatching(/^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/),
    });
  });

  it("names the proxy's certificate, not the API server's, when the roots do not hold its CA or it does not name the proxy's host", async () => {
    const untrusted = await given('tcp', reach(tlsProxy.url, { pem: api.caPem, from: '/etc/pki/tls/certs/ca-bundle.crt' }), tlsCheck());
    expect(untrusted).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `^the proxy 127\\.0\\.0\\.1:${tlsProxy.port} \\(HTTPS_PROXY in the kubelet's environment, an https:// URL\\) presented a certificate not signed by an authority in /etc/pki/tls/certs/ca-bundle\\.crt \\([A-Z_]+\\)$`,
        ),
      ),
      hint: expect.stringMatching(/^the kubelet verifies an https:\/\/ proxy's certificate against the system's CA bundle .*update-ca-trust/),
    });
    const wrongName = await given('tcp', reach(tlsProxy.url.replace('127.0.0.1', 'localhost'), { pem: proxyCa.certPem, from: 'b' }), tlsCheck());
    expect(wrongName.status).toBe('fail');
    expect(wrongName.detail).toMatch(/an https:\/\/ URL\) presented a certificate that does not name localhost: /);
  });

  it('says an https:// URL names a proxy that speaks plain HTTP, the common slip', async () => {
    const r = await given('tcp', reach(plainProxy.url.replace('http://', 'https://')), tlsCheck());
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(
      new RegExp(`^the proxy 127\\.0\\.0\\.1:${plainProxy.port} \\(HTTPS_PROXY in the kubelet's environment, an https:// URL\\) does not speak TLS: `),
    );
    expect(r.hint).toMatch(/write the URL with http:\/\/ in HTTPS_PROXY in the kubelet's environment/);
  });

  it('and the reverse slip: an http:// URL naming a proxy that wants TLS first', async () => {
    const r = await given('tcp', reach(tlsProxy.url.replace('https://', 'http://')), tlsCheck());
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(
      new RegExp(
        `^the proxy 127\\.0\\.0\\.1:${tlsProxy.port} \\(HTTPS_PROXY in the kubelet's environment\\) does not take a plain CONNECT \\(.+\\), and it answers TLS$`,
      ),
    );
    expect(r.hint).toBe(
      "the kubelet speaks plain HTTP to a proxy its URL names with http://, and this one wants TLS first: write the URL with https:// in HTTPS_PROXY in the kubelet's environment",
    );
    // a plain proxy refusing the tunnel is not asked for TLS: its answer is the finding
    const refusing = await startConnectProxy();
    try {
      refusing.refuse(403, 'Forbidden');
      expect((await given('tcp', reach(refusing.url), tlsCheck())).detail).toMatch(/ with 403 Forbidden$/);
    } finally {
      await refusing.close();
    }
  });

  it('names the other kind of proxy a scheme mistook: SOCKS5 behind http://, HTTP behind socks5://', async () => {
    const socks = await startSocksProxy();
    try {
      const socksBehindHttp = await given('tcp', reach(`http://127.0.0.1:${socks.port}`), tlsCheck());
      expect(socksBehindHttp).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(
            `^the proxy 127\\.0\\.0\\.1:${socks.port} \\(HTTPS_PROXY in the kubelet's environment\\) does not take a plain CONNECT \\(.+\\), and it answers SOCKS5$`,
          ),
        ),
        hint: "the kubelet speaks HTTP to a proxy its URL names with http://, and this one is a SOCKS5 proxy: write the URL with socks5:// in HTTPS_PROXY in the kubelet's environment",
      });
      // the probe opened no connection onward
      expect(socks.requests).toEqual([]);
    } finally {
      await socks.close();
    }
    const httpBehindSocks = await given('tcp', reach(plainProxy.url.replace('http://', 'socks5://')), tlsCheck());
    expect(httpBehindSocks).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/ does not answer SOCKS5 \(.+\), and it answers HTTP$/),
      hint: "the kubelet speaks SOCKS5 to a proxy its URL names with socks5://, and this one is an HTTP proxy: write the URL with http:// in HTTPS_PROXY in the kubelet's environment",
    });
    // a SOCKS5 proxy that refuses by its rules answered in its own tongue: no second guess
    const refusing = await startSocksProxy();
    try {
      refusing.refuse(2);
      expect((await given('tcp', reach(`socks5://127.0.0.1:${refusing.port}`), tlsCheck())).detail).toMatch(/: not allowed by its rules \(reply 2\)$/);
    } finally {
      await refusing.close();
    }
  });
});

describe("the imds line: the kubelet's credential helpers sent to IMDS through a proxy", () => {
  it('warns when what systemd gives the kubelet has HTTP_PROXY and NO_PROXY lacks the IMDS address, and not when it names it', async () => {
    const emulator = await startImds();
    try {
      const imds = createImds({ endpoint: emulator.url });
      const line = async (unit: Record<string, string> | undefined, manager: Record<string, string> = {}) => {
        const d = { imds, ...(unit ? { serviceEnvironment: async () => ({ unit, manager }) } : {}) } as unknown as DoctorDeps;
        return (await runChecks([imdsCheck(d)], 5_000)).at(-1)!;
      };
      // an image's drop-in gives the kubelet the proxy; the manager's default environment has NO_PROXY without IMDS
      const proxied = await line({ HTTP_PROXY: 'http://10.0.0.5:3128' }, { NO_PROXY: 'localhost' });
      expect(proxied.status).toBe('warn');
      expect(proxied.detail).toMatch(
        /; the kubelet's environment sends its credential helpers' IMDS requests \(http:\/\/169\.254\.169\.254\) through the proxy HTTP_PROXY names, as NO_PROXY does not name 169\.254\.169\.254$/,
      );
      expect(proxied.hint).toMatch(/add 169\.254\.169\.254 to NO_PROXY/);
      expect((await line({ HTTP_PROXY: 'http://10.0.0.5:3128', NO_PROXY: '169.254.169.254' })).status).toBe('ok');
      // systemd not asked (not a node): the user data's proxy is the config line's warning
      expect((await line(undefined)).status).toBe('ok');
    } finally {
      await emulator.close();
    }
  });
});
