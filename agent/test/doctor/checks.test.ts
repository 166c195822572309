import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../../../test/support/pki.js';
import { runChecks, type Check } from '../../src/doctor/runner.js';
import { UNITS, sociUnitCheck, unitCheck } from '../../src/doctor/checks/services.js';
import { buildBundle } from '../../src/doctor/bundle.js';
import { type Reach, caCheck, droppedHint, tcpCheck } from '../../src/doctor/checks/endpoint.js';
import { checkCertificateAuthority } from '../../src/api/cluster-values.js';
import { imdsCheck } from '../../src/doctor/checks/imds.js';
import { forwardCheck, forwardPolicy, sysctlSetter } from '../../src/doctor/checks/forward.js';
import { filesCheck } from '../../src/doctor/checks/files.js';
import { environmentCheck } from '../../src/doctor/checks/environment.js';
import { CLOUD_INIT_RESULT, cloudInitCheck } from '../../src/doctor/checks/cloud-init.js';
import { SERVING_CERT, servingCertCheck, servingCertPaths } from '../../src/doctor/checks/serving-cert.js';
import { createCertificateRequest, issueServerCert } from '../../../test/support/pki.js';
import { startApiServer } from '../../../test/emulators/apiserver.js';
import { startImds } from '../../../test/emulators/imds.js';
import { createImds } from '../../src/aws/imds.js';
import { quoteManagerEnvironment, quoteUnitEnvironment } from '../../src/templates/escape.js';
import { configWarnings } from '../../src/render/config-warnings.js';
import { render } from '../../src/render/index.js';
import { baseConfig, baseFacts } from '../render/fixtures.js';
import type { NodePlan } from '../../src/boot.js';
import type { DoctorDeps, UnitStatus } from '../../src/doctor/types.js';
import type { ServiceEnvironment } from '../../src/apply/unit-status.js';
import type { ConfigValue } from '../../src/doctor/checks/config.js';

/** Deps where every method a test did not set throws, so a check cannot use more than it should. */
function fakeDeps(set: Partial<DoctorDeps>): DoctorDeps {
  return new Proxy(set as DoctorDeps, {
    get(target, key) {
      if (key in target) return target[key as keyof DoctorDeps];
      // optional: no kept answers, and no live systemd to ask, unless a test sets them
      if (key === 'keptImds' || key === 'serviceEnvironment') return undefined;
      throw new Error(`fake deps: ${String(key)} not set by this test`);
    },
  });
}

async function one(check: Check, provide?: { name: string; value: unknown }) {
  const checks: Check[] = provide
    ? [{ name: provide.name, needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value: provide.value }) }]
    : [];
  const results = await runChecks([...checks, check], 5_000);
  return results.at(-1)!;
}

/** The config check's value for user data that gives the whole cluster, `more` beside it in spec. */
function userDataConfig(cidr: string, more: Record<string, unknown> = {}): ConfigValue {
  const cluster = { name: 'c', apiServerEndpoint: 'https://x', certificateAuthority: 'eA==', cidr };
  const source = { apiVersion: 'node.eks.aws/v1alpha1' as const, kind: 'NodeConfig' as const, spec: { cluster, ...more } };
  return { origins: {}, config: source, source, cluster: { cluster, fetched: [], origin: 'user data', warnings: [] }, versionWarnings: [] } as ConfigValue;
}

const unit = (over: Partial<UnitStatus>): UnitStatus => ({
  unit: 'x.service',
  loadState: 'loaded',
  activeState: 'active',
  subState: 'running',
  result: 'success',
  execMainStatus: '0',
  ...over,
});

describe('unit checks', () => {
  it('accepts a oneshot that ran and exited, fails one that exited non-zero with its last error line', async () => {
    const ran = fakeDeps({ systemctlShow: async () => unit({ activeState: 'inactive', subState: 'dead' }) });
    expect(await one(unitCheck(ran, 'eks-node-agent-config.service', true))).toMatchObject({ status: 'ok', detail: 'ran and exited successfully' });
    const failed = fakeDeps({
      systemctlShow: async () => unit({ activeState: 'failed', subState: 'failed', result: 'exit-code', execMainStatus: '2' }),
      journal: async () => ['starting', 'error: spec.cluster.cidr: "x" is not a valid CIDR', 'done'],
    });
    const r = await one(unitCheck(failed, 'eks-node-agent-config.service', true));
    expect(r).toMatchObject({ status: 'fail', name: 'unit:eks-node-agent-config' });
    expect(r.detail).toBe('failed (failed), result exit-code, last exit status 2; journal: "error: spec.cluster.cidr: \\"x\\" is not a valid CIDR"');
    expect(r.hint).toContain('journalctl -u eks-node-agent-config.service');
  });

  it('calls a kubelet restarting in a loop a failure and matches its journal', async () => {
    const deps = fakeDeps({
      systemctlShow: async () => unit({ activeState: 'activating', subState: 'auto-restart', result: 'exit-code', execMainStatus: '1' }),
      journal: async () => ['E "command failed" err="failed to run Kubelet: unknown flag: --bogus"'],
    });
    const r = await one(unitCheck(deps, 'kubelet.service', false));
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('(restarting in a loop)');
    expect(r.hint).toContain('kubelet exits at start');
  });

  it('fails a unit that is not installed or a service that is stopped', async () => {
    expect(
      await one(unitCheck(fakeDeps({ systemctlShow: async () => unit({ loadState: 'not-found', activeState: 'inactive' }) }), 'kubelet.service', false)),
    ).toMatchObject({ status: 'fail', detail: 'kubelet.service is not installed' });
    expect(
      await one(unitCheck(fakeDeps({ systemctlShow: async () => unit({ activeState: 'inactive', subState: 'dead' }) }), 'containerd.service', false)),
    ).toMatchObject({ status: 'fail', hint: expect.stringContaining('systemctl start containerd.service') });
  });
});

describe('the SOCI snapshotter unit line', () => {
  let caBase64 = '';
  beforeAll(async () => {
    caBase64 = (await createTestCa()).certBase64;
  });
  const planOf = (gates: Record<string, boolean>, cpuMillicores = 8000) => ({
    plan: render(baseConfig(caBase64, { featureGates: gates }), { ...baseFacts({ cpuMillicores, memoryMiB: 31_000 }), sociSnapshotter: true }),
  });

  it('says it is not used, and why, where the plan does not pull through SOCI, without asking systemd', async () => {
    const r = await one(sociUnitCheck(fakeDeps({})), { name: 'files', value: planOf({}) });
    expect(r).toMatchObject({ name: 'unit:soci-snapshotter', status: 'ok', detail: 'not used: spec.featureGates.FastImagePull is not on' });
    const small = await one(sociUnitCheck(fakeDeps({})), { name: 'files', value: planOf({ FastImagePull: true }, 2000) });
    expect(small).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^not used: spec\.featureGates\.FastImagePull: not taken on this instance \(2 vCPUs;/),
    });
  });

  it('judges the unit as the other services where FastImagePull is taken: a failed snapshotter fails, naming its journal', async () => {
    const asked: string[] = [];
    const deps = fakeDeps({
      systemctlShow: async (u) => {
        asked.push(u);
        return unit({ activeState: 'failed', subState: 'failed', result: 'exit-code', execMainStatus: '1' });
      },
      journal: async () => ['level=fatal msg="failed to load config" error="toml: line 3"'],
    });
    const r = await one(sociUnitCheck(deps), { name: 'files', value: planOf({ FastImagePull: true }) });
    expect(asked).toEqual(['soci-snapshotter.service']);
    expect(r).toMatchObject({ status: 'fail', detail: expect.stringContaining('journal: "level=fatal msg=\\"failed to load config\\"') });
    const running = fakeDeps({ systemctlShow: async () => unit({}) });
    expect(await one(sociUnitCheck(running), { name: 'files', value: planOf({ FastImagePull: true }) })).toMatchObject({
      status: 'ok',
      detail: 'active (running), result success',
    });
  });
});

describe("the bundle holds the SOCI snapshotter's unit where the plan pulls through it", () => {
  let caBase64 = '';
  beforeAll(async () => {
    caBase64 = (await createTestCa()).certBase64;
  });

  it("adds its systemctl state and journal beside containerd's, and leaves them out where it is not used", async () => {
    const entries = async (gates: Record<string, boolean>) => {
      const asked: string[] = [];
      const deps = fakeDeps({
        readFile: async () => undefined,
        listDir: async () => undefined,
        readTail: async () => undefined,
        systemctlShow: async (u) => {
          asked.push(u);
          return unit({});
        },
        journal: async (u) => [`${u} journal line`],
        versions: async () => ({}),
      });
      const plan = render(baseConfig(caBase64, { featureGates: gates }), { ...baseFacts({ cpuMillicores: 8000, memoryMiB: 31_000 }), sociSnapshotter: true });
      const tar = gunzipSync(await buildBundle(deps, { results: [], values: new Map([['files', { plan }]]) }, 5_000)).toString('latin1');
      return { asked, tar };
    };
    const used = await entries({ FastImagePull: true });
    expect(used.asked).toEqual([...UNITS.map((u) => u.unit), 'soci-snapshotter.service']);
    expect(used.tar).toContain('eks-node-doctor/units/soci-snapshotter.service.json');
    expect(used.tar).toContain('soci-snapshotter.service journal line');
    const off = await entries({});
    expect(off.asked).toEqual(UNITS.map((u) => u.unit));
    expect(off.tar).not.toContain('soci-snapshotter');
  });
});

describe('tcp check: why the API server does not answer, by the address the name gave', () => {
  it('names the public endpoint, NAT and the VPC DNS settings for a public IPv4 address', () => {
    const hint = droppedHint('3.5.140.2');
    expect(hint).toMatch(/^3\.5\.140\.2 is a public address, so the node dials the cluster's public endpoint/);
    expect(hint).toContain('NAT gateway');
    expect(hint).toContain('publicAccessCidrs');
    expect(hint).toContain('enableDnsSupport and enableDnsHostnames');
  });

  it('names the security group and NACLs for the private endpoint, in any of the VPC ranges', () => {
    for (const address of ['10.0.12.7', '192.168.3.4', '100.64.0.9', '::ffff:172.16.0.5', 'fd12:3456::1']) {
      const hint = droppedHint(address);
      expect(hint, address).toMatch(/is a private address \(the cluster's private endpoint, in the VPC\)/);
      expect(hint, address).toContain('cluster security group must allow 443');
      expect(hint, address).not.toContain('NAT gateway');
    }
  });

  it('stays general where the address does not tell the endpoint (a VPC IPv6 range is global; loopback; a name)', () => {
    for (const address of ['2600:1f14:abc::10', '127.0.0.1', 'not-an-address']) {
      const hint = droppedHint(address);
      expect(hint, address).toMatch(/^packets are dropped on the way/);
    }
  });

  it('dials every address the name gave: one that answers joins the node, one that does not is a warn naming it', async () => {
    // 127.0.0.1 answers; 127.0.0.2 (loopback too) refuses, as nothing listens there on the port
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const reach = (addresses: string[]): Reach => ({
      endpoint: { host: 'api.example', port, url: `https://api.example:${port}` },
      address: addresses[0]!,
      addresses,
      caPem: '',
    });
    try {
      const ok = await one(tcpCheck(), { name: 'dns', value: reach(['127.0.0.1']) });
      expect(ok).toMatchObject({ status: 'ok', detail: `connected to 127.0.0.1:${port}` });

      // the refusing address first: the next steps go on with the one that answered
      const mixed = await one(tcpCheck(), { name: 'dns', value: reach(['127.0.0.2', '127.0.0.1']) });
      expect(mixed.status).toBe('warn');
      expect(mixed.detail).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:${port}, but 127\\.0\\.0\\.2:${port} failed: `));
      expect(mixed.hint).toMatch(
        /^the kubelet dials the name's addresses in turn, so it connects, but each connection that tries 127\.0\.0\.2 first waits or fails/,
      );
      expect((mixed.value as Reach).address).toBe('127.0.0.1');

      const none = await one(tcpCheck(), { name: 'dns', value: reach(['127.0.0.2']) });
      expect(none).toMatchObject({ status: 'fail', hint: expect.stringMatching(/^a refused connection means nothing listens there/) });
      expect(none.detail).toMatch(new RegExp(`^TCP connect to 127\\.0\\.0\\.2:${port} failed: `));
    } finally {
      server.close();
    }
  });
});

describe('ca check', () => {
  const config = (pem: string): ConfigValue => {
    const cluster = { name: 'c', apiServerEndpoint: 'https://x', certificateAuthority: Buffer.from(pem).toString('base64'), cidr: '10.100.0.0/16' };
    const resolved = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { cluster } } as const;
    return { origins: {}, config: resolved, source: resolved, cluster: { cluster, fetched: [], origin: 'user data', warnings: [] }, versionWarnings: [] };
  };
  const at = async (pem: string, now: Date) => one(caCheck(fakeDeps({ now: () => now })), { name: 'config', value: config(pem) });

  it('judges the validity period against the node clock', async () => {
    const ca = await createTestCa({ commonName: 'validity-test', days: 3650 });
    const cert = new X509Certificate(ca.certPem);
    const notAfter = Date.parse(cert.validTo);
    expect(await at(ca.certPem, new Date())).toMatchObject({ status: 'ok', detail: expect.stringContaining('CN=validity-test valid') });
    expect(await at(ca.certPem, new Date(notAfter - 10 * 86_400_000))).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('expires within 30 days'),
    });
    expect(await at(ca.certPem, new Date(notAfter + 1_000))).toMatchObject({ status: 'fail', detail: expect.stringContaining('CA expired') });
    const early = await at(ca.certPem, new Date(Date.parse(cert.validFrom) - 3_600_000));
    expect(early).toMatchObject({ status: 'fail', detail: expect.stringContaining('CA not yet valid') });
    expect(early.hint).toContain('clock');
  });

  it('judges a bundle as config check does: both certificates read, a truncated one refused with the same reason', async () => {
    const [a, b] = await Promise.all([createTestCa({ commonName: 'bundle-a', days: 3650 }), createTestCa({ commonName: 'bundle-b', days: 3650 })]);
    const ok = await at(a.certPem + b.certPem, new Date());
    expect(ok).toMatchObject({ status: 'ok', detail: expect.stringMatching(/CN=bundle-a valid .*; CN=bundle-b valid /) });
    const cut = a.certPem + b.certPem.slice(0, b.certPem.indexOf('-----END'));
    const r = await at(cut, new Date());
    const checked = checkCertificateAuthority(Buffer.from(cut).toString('base64'));
    expect('reason' in checked && r.detail).toBe(`spec.cluster.certificateAuthority ${'reason' in checked ? checked.reason : ''}`);
    expect(r.status).toBe('fail');
  });

  it('fails a CA that is not a certificate, naming the field', async () => {
    const r = await at('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', new Date());
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^spec\.cluster\.certificateAuthority /);
  });
});

describe('files check', () => {
  const value = userDataConfig('10.100.0.0/16', { kubelet: { flags: ['--hostname-override=worker-1'] } });
  const withWarnings = (warnings: string[]) =>
    fakeDeps({
      plan: async () => ({ plan: { files: [{ path: '/etc/x', mode: 0o644, content: 'x' }], units: [], warnings } }) as unknown as NodePlan,
      readFile: async () => ({ content: Buffer.from('x'), mode: 0o100644 }),
    });
  // the warning any instance gets for this config, which the config line already names
  const everywhere = expect.stringMatching(/^spec\.kubelet\.flags\[0\]: "--hostname-override=worker-1" replaces the node name/);

  it("names what init warns about on this instance alone, and leaves the config line's warnings to it", async () => {
    const instanceOnly = 'spec.kubelet.maxPodsExpression: "max_pods - 30" gives -1 on this instance (m5.large); using the ENI formula (29)';
    const shared = configWarnings(value.source);
    expect(shared).toEqual([everywhere]);
    const r = await one(filesCheck(withWarnings([...shared, instanceOnly])), { name: 'config', value });
    expect(r).toMatchObject({ status: 'warn', detail: `1 files match what init plans; on this instance init warns: ${instanceOnly}` });
    expect(await one(filesCheck(withWarnings(shared)), { name: 'config', value })).toMatchObject({ status: 'ok', detail: '1 files match what init plans' });
    // what init warns about for this kubelet is the config line's too (config check on the node refuses it)
    const forKubelet = 'spec.kubelet.config.showHiddenMetricsForVersion: "1.20" is not the minor before this kubelet\'s 1.33';
    const withVersion = { ...value, versionWarnings: [forKubelet] };
    expect(await one(filesCheck(withWarnings([...shared, forKubelet])), { name: 'config', value: withVersion })).toMatchObject({ status: 'ok' });
  });
});

describe('imds check', () => {
  it('passes without local-hostname: the boot path then asks ec2:DescribeInstances for the name', async () => {
    const identity = JSON.stringify({ instanceId: 'i-0123456789abcdef0', instanceType: 'm5.large', region: 'us-west-2', availabilityZone: 'us-west-2a' });
    const imds = {
      endpoint: 'http://imds',
      get: async (path: string) => {
        if (path === 'dynamic/instance-identity/document') return identity;
        throw new Error(`not found: ${path}`);
      },
      getOptional: async () => undefined,
      getBytesOptional: async () => undefined,
    };
    const r = await one(imdsCheck(fakeDeps({ imds })));
    expect(r.status).toBe('ok');
    expect(r.value).not.toHaveProperty('localHostname');
  });

  it('fails an identity document whose region names no host, which the checks after it would put in URLs', async () => {
    for (const region of [' ', 'us-west-2/x', '-1']) {
      const identity = JSON.stringify({ instanceId: 'i-0123456789abcdef0', instanceType: 'm5.large', region, availabilityZone: 'us-west-2a' });
      const imds = { endpoint: 'http://imds', get: async () => identity, getOptional: async () => undefined, getBytesOptional: async () => undefined };
      expect(await one(imdsCheck(fakeDeps({ imds })))).toMatchObject({
        status: 'fail',
        detail: `IMDS dynamic/instance-identity/document: region ${JSON.stringify(region)} is not a region name (expected e.g. "us-west-2")`,
      });
    }
  });

  it("names the endpoint that answered when the IPv4 one had no route, and warns unless the kubelet's helpers are told", async () => {
    const emulator = await startImds();
    try {
      // Linux refuses TCP to a multicast address with ENETUNREACH: no route, as on an instance without IPv4
      const imds = createImds({ endpoint: 'http://224.0.0.1', fallbackEndpoint: emulator.url });
      const withFiles = (files: Record<string, string>) =>
        fakeDeps({ imds, readFile: async (path) => (path in files ? { content: Buffer.from(files[path]!), mode: 0o600 } : undefined) });
      const served = `IMDSv2 token and identity (at ${emulator.url}: http://224.0.0.1 has no route, as on an instance without IPv4): i-0123456789abcdef0 (m5.large) in us-west-2a, account 111122223333`;
      const untold = await one(imdsCheck(withFiles({})));
      expect(untold).toMatchObject({
        status: 'warn',
        detail: `${served}; the kubelet's environment names no IMDS endpoint or mode, so its credential helpers (aws-iam-authenticator, ecr-credential-provider) ask http://224.0.0.1`,
        hint: expect.stringMatching(
          /^`eks-node-agent init` adds it to the kubelet's environment and restarts the kubelet, as init does whenever IMDS answers over IPv6 alone/,
        ),
      });
      // the drop-in render writes when IMDS answered over IPv6 (render/unit-environment.ts) satisfies the line
      const ca = await createTestCa({ days: 3650 });
      const rendered = render(baseConfig(ca.certBase64), baseFacts({ imdsOverIpv6: true }));
      const kubelet = rendered.files.find((f) => f.path === '/etc/systemd/system/kubelet.service.d/environment.conf')!.content;
      expect(await one(imdsCheck(withFiles({ '/etc/systemd/system/kubelet.service.d/environment.conf': kubelet })))).toMatchObject({
        status: 'ok',
        detail: served,
      });
      const manager = `[Manager]\nDefaultEnvironment=${quoteManagerEnvironment('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'ipv6')}\n`;
      expect((await one(imdsCheck(withFiles({ '/etc/systemd/system.conf.d/environment.conf': manager })))).status).toBe('ok');
      const ipv4 = `[Service]\nEnvironment=${quoteUnitEnvironment('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'IPv4')}\n`;
      expect((await one(imdsCheck(withFiles({ '/etc/systemd/system/kubelet.service.d/environment.conf': ipv4 })))).status).toBe('warn');
      // the kubelet's own IPv4 wins over every service's IPv6, as in systemd (and as render judges the user data)
      const both = { '/etc/systemd/system/kubelet.service.d/environment.conf': ipv4, '/etc/systemd/system.conf.d/environment.conf': manager };
      expect((await one(imdsCheck(withFiles(both)))).status).toBe('warn');
      // an endpoint beside an IPv4 mode wins over the mode
      const endpoint = `${ipv4}Environment=${quoteUnitEnvironment('AWS_EC2_METADATA_SERVICE_ENDPOINT', 'http://[fd00:ec2::254]')}\n`;
      expect((await one(imdsCheck(withFiles({ '/etc/systemd/system/kubelet.service.d/environment.conf': endpoint })))).status).toBe('ok');

      // on the live node systemd's view decides, so a drop-in the agent did not write counts, and
      // the agent's files are not read (systemd holds them once reloaded)
      const live = (unit: Record<string, string> | undefined, manager: Record<string, string> = {}) =>
        fakeDeps({
          imds,
          serviceEnvironment: async (name) => ({ unit: name === 'kubelet.service' ? unit : undefined, manager }),
          readFile: async (path) => {
            if (unit) throw new Error('the files are not read when systemd answers');
            return path === '/etc/systemd/system/kubelet.service.d/environment.conf' ? { content: Buffer.from(kubelet), mode: 0o600 } : undefined;
          },
        });
      const mode = 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE';
      expect((await one(imdsCheck(live({ HTTPS_PROXY: 'http://proxy:3128', [mode]: 'IPv6' })))).status).toBe('ok');
      expect((await one(imdsCheck(live({ NO_PROXY: 'a, b' }, { LANG: 'C.UTF-8', [mode]: 'ipv6' })))).status).toBe('ok');
      expect((await one(imdsCheck(live({ [mode]: 'IPv4' }, { [mode]: 'IPv6' })))).status).toBe('warn');
      expect((await one(imdsCheck(live({}, { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[fd00:ec2::254]' })))).status).toBe('ok');
      expect((await one(imdsCheck(live({}, { PATH: '/usr/bin' })))).status).toBe('warn');
      // the kubelet unit not loaded: the agent's files, as off the live root
      expect((await one(imdsCheck(live(undefined)))).status).toBe('ok');
      // no systemd to ask: the files too
      const failing = fakeDeps({
        imds,
        serviceEnvironment: async () => {
          throw new Error('systemctl show: System has not been booted with systemd');
        },
        readFile: async () => undefined,
      });
      expect((await one(imdsCheck(failing))).status).toBe('warn');
    } finally {
      await emulator.close();
    }
  });

  it("says whether this boot's kept answers served the other checks, or why they could not", async () => {
    const refused = {
      endpoint: 'http://imds',
      get: async () => {
        throw new Error('IMDS http://imds/latest/api/token: the session token was refused (HTTP 403); no metadata can be read without one');
      },
      getOptional: async () => undefined,
      getBytesOptional: async () => undefined,
    };
    const path = '/run/eks-node-agent/imds-answers.json';
    const served = await one(imdsCheck(fakeDeps({ imds: refused, keptImds: { imds: refused, path } })));
    expect(served).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /HTTP 403.*; the checks that need the instance's answers took this boot's, kept in \/run\/eks-node-agent\/imds-answers\.json$/,
      ),
    });
    expect(served.hint).not.toContain('run doctor as root');
    const unreadable = await one(imdsCheck(fakeDeps({ imds: refused, keptImds: { problem: 'EACCES: permission denied', path } })));
    expect(unreadable.detail).not.toContain('kept in');
    expect(unreadable.hint).toMatch(
      /; this boot's answers in \/run\/eks-node-agent\/imds-answers\.json could serve the other checks but cannot be read \(EACCES: permission denied\): run doctor as root$/,
    );
    const elsewhere = await one(imdsCheck(fakeDeps({ imds: refused, keptImds: { problem: 'kept for IMDS at http://127.0.0.1:9, not http://imds', path } })));
    expect(elsewhere.hint).toMatch(
      /; this boot's answers in \/run\/eks-node-agent\/imds-answers\.json cannot serve the other checks \(kept for IMDS at http:\/\/127\.0\.0\.1:9, not http:\/\/imds\)$/,
    );
    const none = await one(imdsCheck(fakeDeps({ imds: refused })));
    expect(`${none.detail} ${none.hint}`).not.toContain('imds-answers');
  });
});

describe('forward-policy check', () => {
  const chain = (policy: string) => async () => [`-P FORWARD ${policy}`, '-A FORWARD -j KUBE-FORWARD', '-A FORWARD -j ACCEPT'];
  /** readFile and listDir over these files (path -> content), which a test may change between runs */
  const filesOf = (files: Record<string, string>): Pick<DoctorDeps, 'readFile' | 'listDir'> => ({
    readFile: async (path: string) => (files[path] === undefined ? undefined : { content: Buffer.from(files[path]!), mode: 0o644 }),
    listDir: async (dir: string) => {
      const names = Object.keys(files)
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1));
      return names.length > 0 ? names : undefined;
    },
  });

  it('reads the policy line wherever it is, and nothing from a chain without one', () => {
    expect(forwardPolicy(['-A FORWARD -j X', '-P FORWARD DROP'])).toBe('DROP');
    expect(forwardPolicy(['-N FORWARD-X', '-A FORWARD -j X'])).toBeUndefined();
    expect(forwardPolicy(['-P INPUT DROP'])).toBeUndefined();
  });

  it('ACCEPT passes without asking systemd', async () => {
    const r = await one(forwardCheck(fakeDeps({ forwardChain: chain('ACCEPT') })));
    expect(r).toMatchObject({ status: 'ok', detail: 'iptables FORWARD policy ACCEPT, 2 rule(s) in the chain' });
  });

  it('DROP fails and names what the unit that sets ACCEPT did', async () => {
    const withUnit = async (over: Partial<UnitStatus>) =>
      one(forwardCheck(fakeDeps({ forwardChain: chain('DROP'), systemctlShow: async () => unit({ unit: 'eks-node-forward-accept.service', ...over }) })));
    const failedUnit = await withUnit({ activeState: 'failed', subState: 'failed', result: 'exit-code', execMainStatus: '4' });
    expect(failedUnit.status).toBe('fail');
    expect(failedUnit.detail).toBe(
      'iptables FORWARD policy DROP, 2 rule(s) in the chain; eks-node-forward-accept.service failed (result exit-code, exit status 4): see `journalctl -u eks-node-forward-accept.service`',
    );
    expect((await withUnit({ loadState: 'not-found', activeState: 'inactive' })).detail).toContain('eks-node-forward-accept.service is not installed');
    expect((await withUnit({ activeState: 'inactive', subState: 'dead' })).detail).toContain(
      'eks-node-forward-accept.service is inactive: it runs as the kubelet starts',
    );
    const unknown = await one(
      forwardCheck(
        fakeDeps({
          forwardChain: chain('DROP'),
          systemctlShow: async () => {
            throw new Error('systemctl: not found');
          },
        }),
      ),
    );
    expect(unknown).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('the state of eks-node-forward-accept.service is unknown (systemctl: not found)'),
    });
  });

  it('on an IPv6 cluster judges ip6tables too: its DROP fails, and neither chain is read twice', async () => {
    const config = userDataConfig('fd00:10:100::/108');
    const asked: string[] = [];
    const chains =
      (v4: string, v6: string) =>
      async (_ms: number, family: 'ipv4' | 'ipv6' = 'ipv4') => {
        asked.push(family);
        return chain(family === 'ipv6' ? v6 : v4)();
      };
    const active = async () => unit({ unit: 'eks-node-forward-accept.service' });
    const dropped = await one(forwardCheck(fakeDeps({ forwardChain: chains('ACCEPT', 'DROP'), systemctlShow: active })), { name: 'config', value: config });
    expect(dropped).toMatchObject({
      status: 'fail',
      detail:
        'iptables FORWARD policy ACCEPT, 2 rule(s) in the chain; ip6tables FORWARD policy DROP, 2 rule(s) in the chain; eks-node-forward-accept.service set ACCEPT when the kubelet last started, so something changed it since (a host firewall, or Docker)',
      hint: expect.stringContaining('stop whatever sets DROP'),
      value: { lines: expect.any(Array), ipv6Lines: ['-P FORWARD DROP', '-A FORWARD -j KUBE-FORWARD', '-A FORWARD -j ACCEPT'] },
    });
    expect(asked).toEqual(['ipv4', 'ipv6']);
    const ok = await one(forwardCheck(fakeDeps({ forwardChain: chains('ACCEPT', 'ACCEPT') })), { name: 'config', value: config });
    expect(ok).toMatchObject({
      status: 'ok',
      detail: 'iptables FORWARD policy ACCEPT, 2 rule(s) in the chain; ip6tables FORWARD policy ACCEPT, 2 rule(s) in the chain',
    });
    // an IPv4 cluster's line reads iptables alone, as before
    asked.length = 0;
    const v4 = userDataConfig('10.100.0.0/16');
    expect(await one(forwardCheck(fakeDeps({ forwardChain: chains('ACCEPT', 'DROP') })), { name: 'config', value: v4 })).toMatchObject({ status: 'ok' });
    expect(asked).toEqual(['ipv4']);
  });

  it('IPv4 forwarding off fails whatever the chain says, naming the sysctl file that wins at boot', async () => {
    const files: Record<string, string> = {
      '/proc/sys/net/ipv4/ip_forward': '0\n',
      '/usr/lib/sysctl.d/50-default.conf': 'net.ipv4.ip_forward = 1\n',
      '/usr/lib/sysctl.d/99-hardening.conf': '-net.ipv4.ip_forward = 0\n',
      // the same name in /etc masks /usr/lib's: its 1 is the one applied, and 99-h sorts after 99-eks
      '/etc/sysctl.d/99-hardening.conf': '; kept on\nnet.ipv4.ip_forward=1\n',
      '/etc/sysctl.d/99-eks-node.conf': 'net.ipv4.ip_forward = 1\n',
      '/etc/sysctl.d/60-cis.conf': '# CIS\nnet/ipv4/ip_forward = 0\nnet.ipv4.ip_forward_update_priority = 0\n',
      '/etc/sysctl.d/README': 'net.ipv4.ip_forward = 0\n',
    };
    const deps = fakeDeps({ forwardChain: chain('ACCEPT'), ...filesOf(files) });
    expect(await sysctlSetter(deps, 'net.ipv4.ip_forward')).toEqual({ path: '/etc/sysctl.d/99-hardening.conf', value: '1' });
    const r = await one(forwardCheck(deps));
    expect(r.hint).toContain('find what set it after boot (a user-data script, a configuration agent) and stop it, and run `sysctl -w net.ipv4.ip_forward=1`');
    expect(r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^the kernel does not forward IPv4 \(net\.ipv4\.ip_forward = 0, no sysctl file turns it off \(the last, \/etc\/sysctl\.d\/99-hardening\.conf, sets 1\): a script or `sysctl -w` did, after boot\); iptables FORWARD policy ACCEPT/,
      ),
    });
    delete files['/etc/sysctl.d/99-hardening.conf'];
    expect(await sysctlSetter(deps, 'net.ipv4.ip_forward')).toEqual({ path: '/usr/lib/sysctl.d/99-hardening.conf', value: '0' });
    expect((await one(forwardCheck(deps))).hint).toContain('take the setting out of /usr/lib/sysctl.d/99-hardening.conf');
    files['/proc/sys/net/ipv4/ip_forward'] = '1\n';
    expect(await one(forwardCheck(deps))).toMatchObject({
      status: 'ok',
      detail: 'iptables FORWARD policy ACCEPT, 2 rule(s) in the chain; the kernel forwards IPv4 (net.ipv4.ip_forward = 1)',
    });
  });

  /** The line on an IPv6 cluster's node with these files, before aws-node has written its CNI configuration and after. */
  async function aroundCni(files: Record<string, string>) {
    const deps = fakeDeps({ forwardChain: chain('ACCEPT'), ...filesOf(files) });
    const v6 = { name: 'config', value: userDataConfig('fd00:10:100::/108') };
    const early = await one(forwardCheck(deps), v6);
    files['/etc/cni/net.d/10-aws.conflist'] = '{}';
    return { deps, v6, early, after: await one(forwardCheck(deps), v6) };
  }

  it("on an IPv6 cluster, IPv6 forwarding too: off before aws-node has run is a boot's order, off after it fails, and a kernel without IPv6 fails", async () => {
    const files: Record<string, string> = {
      '/proc/sys/net/ipv4/ip_forward': '1\n',
      '/proc/sys/net/ipv6/conf/all/forwarding': '0\n',
      '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz root=UUID=x ro console=ttyS0\n',
      '/etc/sysctl.d/60-cis.conf': 'net.ipv6.conf.all.forwarding = 0\nnet.ipv6.conf.default.forwarding = 0\n',
    };
    const { deps, v6, early, after } = await aroundCni(files);
    expect(early).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(
        "; the kernel does not forward IPv6 yet (net.ipv6.conf.all.forwarding = 0): aws-node's init container sets 1 as it starts, and /etc/cni/net.d holds no CNI configuration yet",
      ),
    });
    // the VPC CNI has written its configuration, so it has turned forwarding on; the hardening file's 0 came back
    expect(after).toMatchObject({
      status: 'fail',
      detail:
        'the kernel does not forward IPv6 (net.ipv6.conf.all.forwarding = 0, set to 0 by /etc/sysctl.d/60-cis.conf, which systemd-sysctl applies last of the sysctl files) though aws-node, which sets 1 as it starts, has run (/etc/cni/net.d: 10-aws.conflist); iptables FORWARD policy ACCEPT, 2 rule(s) in the chain',
    });
    expect(after.hint).toContain(
      'take the setting out of /etc/sysctl.d/60-cis.conf; restarting aws-node sets it again too, and run `sysctl -w net.ipv6.conf.all.forwarding=1`',
    );
    // the same node in an IPv4 cluster: IPv6 is not its pods' family, and is not judged
    expect(await one(forwardCheck(deps), { name: 'config', value: userDataConfig('10.100.0.0/16') })).toMatchObject({
      status: 'ok',
      detail: 'iptables FORWARD policy ACCEPT, 2 rule(s) in the chain; the kernel forwards IPv4 (net.ipv4.ip_forward = 1)',
    });
    files['/proc/sys/net/ipv6/conf/all/forwarding'] = '1\n';
    expect((await one(forwardCheck(deps), v6)).detail).toContain('; the kernel forwards IPv6 (net.ipv6.conf.all.forwarding = 1)');
    // booted with ipv6.disable=1: /proc has no IPv6 switches at all
    delete files['/proc/sys/net/ipv6/conf/all/forwarding'];
    files['/proc/cmdline'] = 'BOOT_IMAGE=/vmlinuz root=UUID=x ro ipv6.disable=1 audit=1\n';
    const none = await one(forwardCheck(deps), v6);
    expect(none).toMatchObject({
      status: 'fail',
      detail: 'the kernel has no IPv6 (ipv6.disable=1 on its command line, /proc/cmdline); iptables FORWARD policy ACCEPT, 2 rule(s) in the chain',
    });
    expect(none.hint).toContain('grubby --update-kernel=ALL --remove-args=ipv6.disable');
    expect(none.hint).not.toContain('sysctl -w');
    // no such argument: the switch is unread, not judged
    files['/proc/cmdline'] = 'BOOT_IMAGE=/vmlinuz ro\n';
    expect(await one(forwardCheck(deps), v6)).toMatchObject({ status: 'ok' });
  });

  it('on an IPv6 cluster, IPv6 turned off on every interface (disable_ipv6) is judged as forwarding is, with its own effect', async () => {
    const files: Record<string, string> = {
      '/proc/sys/net/ipv4/ip_forward': '1\n',
      '/proc/sys/net/ipv6/conf/all/forwarding': '1\n',
      '/proc/sys/net/ipv6/conf/all/disable_ipv6': '1\n',
      '/etc/sysctl.d/60-cis.conf': 'net.ipv6.conf.all.disable_ipv6 = 1\n',
    };
    const { deps, v6, early, after } = await aroundCni(files);
    expect(early).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(
        "; IPv6 is turned off on every interface yet (net.ipv6.conf.all.disable_ipv6 = 1): aws-node's init container sets 0 as it starts, and /etc/cni/net.d holds no CNI configuration yet; the kernel forwards IPv6",
      ),
    });
    expect(after).toMatchObject({
      status: 'fail',
      detail:
        'IPv6 is turned off on every interface (net.ipv6.conf.all.disable_ipv6 = 1, set to 1 by /etc/sysctl.d/60-cis.conf, which systemd-sysctl applies last of the sysctl files) though aws-node, which sets 0 as it starts, has run (/etc/cni/net.d: 10-aws.conflist); iptables FORWARD policy ACCEPT, 2 rule(s) in the chain',
    });
    expect(after.hint).toBe(
      "the node's and its pods' IPv6 addresses are gone, and an IPv6 cluster reaches both by them alone; a hardening baseline (CIS, STIG) often sets this: take the setting out of /etc/sysctl.d/60-cis.conf; restarting aws-node sets it again too, and run `sysctl -w net.ipv6.conf.all.disable_ipv6=0`",
    );
    // with forwarding off too, both are named, and both set again in one command
    files['/proc/sys/net/ipv6/conf/all/forwarding'] = '0\n';
    const both = await one(forwardCheck(deps), v6);
    expect(both.hint).toMatch(/^the node's and its pods' IPv6 addresses are gone, .*; pods' packets to other nodes, /);
    expect(both.hint).toContain('`sysctl -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.all.forwarding=1`');
    // a sysctl file that sets 0 is not the cause: a script did, after aws-node started
    files['/proc/sys/net/ipv6/conf/all/forwarding'] = '1\n';
    files['/etc/sysctl.d/60-cis.conf'] = 'net.ipv6.conf.all.disable_ipv6 = 0\n';
    expect((await one(forwardCheck(deps), v6)).detail).toMatch(
      /^IPv6 is turned off on every interface \(net\.ipv6\.conf\.all\.disable_ipv6 = 1, no sysctl file turns it off \(the last, \/etc\/sysctl\.d\/60-cis\.conf, sets 0\): a script or `sysctl -w` did, after aws-node started\)/,
    );
    // an IPv4 cluster's pods do not need it; and 0 says nothing
    expect((await one(forwardCheck(deps), { name: 'config', value: userDataConfig('10.100.0.0/16') })).status).toBe('ok');
    files['/proc/sys/net/ipv6/conf/all/disable_ipv6'] = '0\n';
    expect((await one(forwardCheck(deps), v6)).detail).not.toContain('disable_ipv6');
  });

  it('an unreadable chain or one without a policy line warns: the policy is unknown, not wrong', async () => {
    const missing = await one(
      forwardCheck(
        fakeDeps({
          forwardChain: async () => {
            throw new Error('iptables is not on the PATH');
          },
        }),
      ),
    );
    expect(missing).toMatchObject({ status: 'warn', detail: 'cannot read the iptables FORWARD policy: iptables is not on the PATH' });
    const odd = await one(forwardCheck(fakeDeps({ forwardChain: async () => ['# Warning: iptables-legacy tables present'] })));
    expect(odd).toMatchObject({ status: 'warn', detail: expect.stringContaining('printed no policy line') });
  });
});

describe('cloud-init check', () => {
  it('names the errors of a damaged result.json, one nested too deep to print among them', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = `{"v1":{"errors":["a script failed",{"stage":"final"},${deep}]}}`;
    const deps = fakeDeps({
      readFile: async (path) => (path === CLOUD_INIT_RESULT ? { content: Buffer.from(text), mode: 0o644 } : undefined),
      now: () => new Date(),
    });
    expect(await one(cloudInitCheck(deps))).toMatchObject({
      status: 'warn',
      detail: 'finished with 3 errors: a script failed; {"stage":"final"}; an entry nested too deep to show',
    });
  });
});

describe('environment check', () => {
  const config = userDataConfig('10.100.0.0/16', { instance: { environment: { default: { HTTPS_PROXY: 'http://proxy:3128' }, containerd: { GOGC: '50' } } } });

  it("names PassEnvironment= as the cause when a unit gets PID 1's value over the user data's", async () => {
    const manager = { HTTPS_PROXY: 'http://proxy:3128' };
    const given = (unit: string): ServiceEnvironment => {
      // an image's kubelet drop-in passes PID 1's HTTPS_PROXY (a kernel command-line variable)
      if (unit === 'kubelet.service') return { unit: { HTTPS_PROXY: 'http://boot-proxy:8080' }, manager, passed: ['HTTPS_PROXY'] };
      return { unit: { GOGC: '50' }, manager };
    };
    const r = await one(environmentCheck(fakeDeps({ serviceEnvironment: async (unit) => given(unit) })), { name: 'config', value: config });
    expect(r).toMatchObject({
      status: 'warn',
      detail:
        "what the user data sets is not what the units get: kubelet.service: HTTPS_PROXY is PID 1's own (from the kernel command line or the initrd), which the unit's PassEnvironment= passes over systemd's default environment",
    });
    expect(r.detail).not.toContain('boot-proxy');
    // the same value set by a drop-in, not passed: the drop-in named instead
    const dropIn = await one(environmentCheck(fakeDeps({ serviceEnvironment: async (unit) => ({ unit: given(unit).unit, manager }) })), {
      name: 'config',
      value: config,
    });
    expect(dropIn.detail).toContain("kubelet.service: HTTPS_PROXY is not spec.instance.environment.default's (a drop-in of the unit");
    // a unit's own variable passed because the agent's drop-in is not loaded
    const unloaded = await one(
      environmentCheck(
        fakeDeps({
          serviceEnvironment: async (unit): Promise<ServiceEnvironment> =>
            unit === 'containerd.service' ? { unit: { GOGC: '1' }, manager, passed: ['GOGC'] } : { unit: {}, manager },
        }),
      ),
      { name: 'config', value: config },
    );
    expect(unloaded.detail).toBe(
      "what the user data sets is not what the units get: containerd.service: GOGC is PID 1's own (from the kernel command line or the initrd), which the unit's PassEnvironment= passes while systemd has not loaded the agent's /etc/systemd/system/containerd.service.d/environment.conf",
    );
  });
});

describe('serving-cert check', () => {
  const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';
  const run = async (
    deps: DoctorDeps,
    username: string,
    kubelet?: { config?: Record<string, unknown>; flags?: string[] },
    registeredAt = '2026-01-01T00:00:00Z',
    // nothing listens on port 1: the CSR list fails, as with an API server out of reach
    reach: { endpoint: { host: string; port: number; url: string }; address: string; caPem: string } = {
      endpoint: { host: '127.0.0.1', port: 1, url: 'https://127.0.0.1:1' },
      address: '127.0.0.1',
      caPem: '',
    },
  ) => {
    const provided = {
      registration: { registeredAt },
      auth: { username, token: 'k8s-aws-v1.unit', reach },
      'node-name': { nodeName: NODE },
      ...(kubelet ? { config: { source: { spec: { kubelet } } } } : {}),
    };
    const given: Check[] = Object.entries(provided).map(([name, value]) => ({
      name,
      needs: [],
      timeoutMs: 1_000,
      run: async () => ({ status: 'ok', detail: '', value }),
    }));
    return (await runChecks([...given, servingCertCheck(deps)], 5_000)).at(-1)!;
  };

  it('fails a serving certificate past its end (a renewal CSR never approved), reading only the certificate of the file', async () => {
    const ca = await createTestCa({ days: 3650 });
    const cert = await issueServerCert(ca, { commonName: `system:node:${NODE}`, sans: [`DNS:${NODE}`], days: 30 });
    const file = { content: Buffer.from(`${cert.certPem}${cert.keyPem}`), mode: 0o600 };
    const readFile = async (path: string) => (path === SERVING_CERT ? file : undefined);
    const valid = await run(fakeDeps({ readFile, now: () => new Date() }), `system:node:${NODE}`);
    expect(valid).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(new RegExp(`^the kubelet serves with a certificate for DNS:${NODE.replaceAll('.', '\\.')}, valid until `)),
    });
    const later = await run(fakeDeps({ readFile, now: () => new Date(Date.now() + 60 * 86_400_000) }), `system:node:${NODE}`);
    expect(later).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^the kubelet's serving certificate \(DNS:ip-10-0-1-23\.us-west-2\.compute\.internal\) expired on \d{4}-\d\d-\d\d$/),
    });
    expect(`${later.detail}${later.hint}`).not.toContain('PRIVATE KEY');
  });

  it("names the renewal's CSR beside an expired certificate, listed from the API server", async () => {
    const api = await startApiServer();
    try {
      const cert = await issueServerCert(api.ca, { commonName: `system:node:${NODE}`, sans: [`DNS:${NODE}`], days: 30 });
      const readFile = async (path: string) => (path === SERVING_CERT ? { content: Buffer.from(cert.certPem), mode: 0o600 } : undefined);
      const request = Buffer.from(await createCertificateRequest({ commonName: `system:node:${NODE}`, sans: [`DNS:${NODE}`] })).toString('base64');
      api.csrs.set('csr-renewal', {
        metadata: { name: 'csr-renewal', creationTimestamp: new Date(Date.now() + 59 * 86_400_000).toISOString() },
        spec: { signerName: 'kubernetes.io/kubelet-serving', username: `system:node:${NODE}`, request },
        status: {},
      });
      const reach = { endpoint: { host: '127.0.0.1', port: Number(new URL(api.url).port), url: api.url }, address: '127.0.0.1', caPem: api.caPem };
      const deps = fakeDeps({ readFile, now: () => new Date(Date.now() + 60 * 86_400_000) });
      const r = await run(deps, `system:node:${NODE}`, undefined, '2026-01-01T00:00:00Z', reach);
      expect(r).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(
            `expired on \\d{4}-\\d\\d-\\d\\d; its kubelet-serving CSR csr-renewal for DNS:${NODE.replaceAll('.', '\\.')} \\(made 86\\d\\d\\d s ago\\) is pending: nothing approved or denied it$`,
          ),
        ),
      });
      expect(api.requests.filter((q) => q.path === '/apis/certificates.k8s.io/v1/certificatesigningrequests' && q.method === 'GET')).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it("warns, asking for root, when the kubelet's certificate directory cannot be read", async () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const r = await run(fakeDeps({ readFile: async () => Promise.reject(denied), now: () => new Date() }), `system:node:${NODE}`);
    expect(r).toMatchObject({ status: 'warn', detail: 'cannot read /var/lib/kubelet/pki (permission denied)', hint: expect.stringContaining('as root') });
  });

  it('judges the certificate the user data gives the kubelet, and its --cert-dir', async () => {
    expect(servingCertPaths({ kubelet: { config: { tlsCertFile: '/etc/pki/kubelet.pem' } } })).toEqual({
      given: '/etc/pki/kubelet.pem',
      dir: '/var/lib/kubelet/pki',
    });
    expect(servingCertPaths({ kubelet: { config: { tlsCertFile: '/a.pem' }, flags: ['--tls-cert-file=/b.pem', '--cert-dir=/srv/pki/'] } })).toEqual({
      given: '/b.pem',
      dir: '/srv/pki',
    });
    const ca = await createTestCa({ days: 3650 });
    const cert = await issueServerCert(ca, { sans: [`DNS:${NODE}`], days: 30 });
    const files: Record<string, { content: Buffer; mode: number }> = { '/etc/pki/kubelet.pem': { content: Buffer.from(cert.certPem), mode: 0o644 } };
    const deps = fakeDeps({ readFile: async (path: string) => files[path], now: () => new Date() });
    const mine = await run(deps, `system:node:${NODE}`, { config: { tlsCertFile: '/etc/pki/kubelet.pem' } });
    expect(mine).toMatchObject({ status: 'ok', detail: expect.stringContaining(`DNS:${NODE} (/etc/pki/kubelet.pem, from the user data), valid until`) });
    const missing = await run(deps, `system:node:${NODE}`, { flags: ['--tls-cert-file=/etc/pki/missing.pem'] });
    expect(missing).toMatchObject({
      status: 'fail',
      detail: 'the user data gives the kubelet /etc/pki/missing.pem as its serving certificate, and there is no such file',
    });
    // a --cert-dir moves where the issued certificate is looked for
    files['/srv/pki/kubelet-server-current.pem'] = { content: Buffer.from(`${cert.certPem}${cert.keyPem}`), mode: 0o600 };
    expect((await run(deps, `system:node:${NODE}`, { flags: ['--cert-dir=/srv/pki'] })).status).toBe('ok');
  });

  it('names a kubelet identity EKS does not approve a serving CSR from', async () => {
    const r = await run(fakeDeps({ readFile: async () => undefined, now: () => new Date('2026-01-01T01:00:00Z') }), 'test');
    expect(r).toMatchObject({ status: 'warn', detail: expect.stringContaining('3600 s after the Node registered') });
    expect(r.hint).toContain(`The kubelet authenticates as test, not system:node:${NODE}`);
    // a registration time that does not parse: the line says nothing of it (not "NaN s")
    const unknown = await run(fakeDeps({ readFile: async () => undefined, now: () => new Date() }), `system:node:${NODE}`, undefined, 'not a time');
    expect(unknown).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^no serving certificate in \/var\/lib\/kubelet\/pki: its kubernetes\.io\/kubelet-serving CSR is pending or was denied \(the CSRs could not be listed: .*ECONNREFUSED.*\)$/,
      ),
    });
  });
});
