import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { defaultPauseImage, render } from '../../src/render/index.js';
import { checkServiceCidr } from '../../src/api/cluster-values.js';
import { renderTemplate } from '../../src/templates/handlebars.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from './fixtures.js';
import { loadCel } from '../../src/api/cel.js';
import { OUTPUT, generate } from '../../../scripts/gen-templates.js';

// render compiles maxPodsExpression synchronously; the CLI loads CEL first, as these tests do
beforeAll(loadCel);

let ca: TestCert;
beforeAll(async () => {
  ca = await createTestCa();
});

function file(plan: ReturnType<typeof render>, path: string): string {
  const f = plan.files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not in plan`);
  return f.content;
}

function renderError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('render', () => {
  it('decides m5.large numbers: 29 pods, 574Mi and 70m reserved, clusterDNS .10, providerID', () => {
    const plan = render(baseConfig(ca.certBase64), baseFacts());
    const kubelet = JSON.parse(file(plan, '/etc/kubernetes/kubelet/config.json')) as Record<string, unknown>;
    expect(kubelet).toMatchObject({
      maxPods: 29,
      kubeReserved: { cpu: '70m', memory: '574Mi', 'ephemeral-storage': '1Gi' },
      clusterDNS: ['10.100.0.10'],
      providerID: 'aws:///us-west-2a/i-0123456789abcdef0',
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%' },
    });
    expect(plan.warnings).toEqual([]);
    expect(plan.files.map((f) => f.path)).toEqual([
      '/etc/containerd/base-runtime-spec.json',
      '/etc/containerd/config.toml',
      '/etc/eks/image-credential-provider/config.json',
      '/etc/eks/kubelet/environment',
      '/etc/kubernetes/kubelet/config.json',
      '/etc/kubernetes/pki/ca.crt',
      '/var/lib/kubelet/kubeconfig',
    ]);
  });

  it('is deterministic: same input, same bytes, whatever the key order of user maps', () => {
    const a = render(
      baseConfig(ca.certBase64, { kubelet: { config: { b: 1, a: { y: 1, x: 2 } } }, instance: { environment: { kubelet: { B: '1', A: '2' } } } }),
      baseFacts(),
    );
    const b = render(
      baseConfig(ca.certBase64, { instance: { environment: { kubelet: { A: '2', B: '1' } } }, kubelet: { config: { a: { x: 2, y: 1 }, b: 1 } } }),
      baseFacts(),
    );
    expect(a).toEqual(b);
    expect(a.files.every((f) => f.content.endsWith('\n'))).toBe(true);
  });

  it('computes clusterDNS for IPv4 and IPv6 service CIDRs', () => {
    const dns = (cidr: string) => {
      const r = checkServiceCidr(cidr);
      return 'value' in r ? r.value.dnsAddress : r.reason;
    };
    expect(dns('10.100.0.0/16')).toBe('10.100.0.10');
    expect(dns('172.20.0.0/16')).toBe('172.20.0.10');
    expect(dns('fd00::/108')).toBe('fd00::a');
  });

  it('merges the user fragment into config.json for a kubelet without drop-ins (< 1.28)', () => {
    const plan = render(
      baseConfig(ca.certBase64, { kubelet: { config: { kubeReserved: { cpu: '1' }, clusterDNS: ['169.254.20.10'] } } }),
      baseFacts({ kubeletVersion: 'v1.27.16' }),
    );
    expect(plan.files.some((f) => f.path.includes('config.json.d'))).toBe(false);
    const kubelet = JSON.parse(file(plan, '/etc/kubernetes/kubelet/config.json')) as Record<string, unknown>;
    expect(kubelet.kubeReserved).toEqual({ cpu: '1', 'ephemeral-storage': '1Gi', memory: '574Mi' });
    expect(kubelet.clusterDNS).toEqual(['169.254.20.10']);
    expect(file(plan, '/etc/eks/kubelet/environment')).not.toContain('--config-dir');
  });

  it('lets the pause image be overridden', () => {
    const plan = render(baseConfig(ca.certBase64), baseFacts(), { pauseImage: 'registry.local/pause:3.10' });
    expect(file(plan, '/etc/containerd/config.toml')).toContain('sandbox_image = "registry.local/pause:3.10"');
    expect(defaultPauseImage('cn-north-1')).toBe('918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/eks/pause:3.10');
    // regions of 2025-2026, and the European Sovereign Cloud's own domain
    expect(defaultPauseImage('ap-southeast-6')).toBe('333609536671.dkr.ecr.ap-southeast-6.amazonaws.com/eks/pause:3.10');
    expect(defaultPauseImage('ap-east-2')).toBe('533267051163.dkr.ecr.ap-east-2.amazonaws.com/eks/pause:3.10');
    expect(defaultPauseImage('eusc-de-east-1')).toBe('877088126301.dkr.ecr.eusc-de-east-1.amazonaws.eu/eks/pause:3.10');
    expect(defaultPauseImage('us-west-2')).toBe('602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.10');
  });

  it("tells the kubelet's credential helpers IMDS's IPv6 endpoint when the agent's IMDS answered there, unless the user data names one", () => {
    const dropIn = '/etc/systemd/system/kubelet.service.d/environment.conf';
    const over6 = baseFacts({ imdsOverIpv6: true });
    const alone = file(render(baseConfig(ca.certBase64), over6), dropIn);
    expect(alone).toMatch(/^# AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 added by the agent: IMDS answered at http:\/\/\[fd00:ec2::254\]/m);
    expect(alone.split('\n').filter((l) => l.startsWith('Environment='))).toEqual(['Environment="AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6"']);
    // beside the user's own variables, in name order
    const beside = file(render(baseConfig(ca.certBase64, { instance: { environment: { kubelet: { ZED: '1', ABC: '2' } } } }), over6), dropIn);
    expect(beside.split('\n').filter((l) => l.startsWith('Environment='))).toEqual([
      'Environment="ABC=2"',
      'Environment="AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6"',
      'Environment="ZED=1"',
    ]);
    // IMDS answered over IPv4: nothing added, no drop-in for a kubelet the user data gives no environment
    expect(render(baseConfig(ca.certBase64), baseFacts()).files.some((f) => f.path === dropIn)).toBe(false);
    // the user data's own choice, for the kubelet or every service, is kept as written
    const own = file(
      render(baseConfig(ca.certBase64, { instance: { environment: { kubelet: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[fd00:ec2::254]' } } } }), over6),
      dropIn,
    );
    expect(own).not.toContain('MODE');
    const everyService = render(
      baseConfig(ca.certBase64, { instance: { environment: { default: { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' } } } }),
      over6,
    );
    expect(everyService.files.some((f) => f.path === dropIn)).toBe(false);
    expect(everyService.warnings).toEqual([]);
    // an IPv4 mode is kept too, with a warning naming the key that chose it (the kubelet's own wins over every service's)
    const ipv4 = render(
      baseConfig(ca.certBase64, {
        instance: { environment: { kubelet: { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' }, default: { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' } } },
      }),
      over6,
    );
    expect(file(ipv4, dropIn)).toContain('Environment="AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4"');
    expect(ipv4.warnings).toEqual([
      'spec.instance.environment.kubelet.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4", but IMDS answered the agent at http://[fd00:ec2::254]: ' +
        "the kubelet's credential helpers ask 169.254.169.254 and may get no credentials (kept as written; IPv6 sends them where the agent's IMDS answered)",
    ]);
    // the same choice over IPv4 IMDS says nothing
    expect(
      render(baseConfig(ca.certBase64, { instance: { environment: { default: { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' } } } }), baseFacts()).warnings,
    ).toEqual([]);
  });

  it("keeps the agent's containerd version and warns when the user TOML declares another", () => {
    const plan = render(
      baseConfig(ca.certBase64, { containerd: { config: 'version = 2\n[plugins."io.containerd.cri.v1.images"]\nmax_concurrent_downloads = 5\n' } }),
      baseFacts({ containerdVersion: '2.1.0' }),
    );
    expect(file(plan, '/etc/containerd/config.toml')).toMatch(/^version = 3\n/);
    expect(file(plan, '/etc/containerd/config.toml')).toContain('max_concurrent_downloads = 5\n');
    expect(plan.warnings).toEqual([
      'spec.containerd.config: declares version = 2, but containerd 2.1.0 is configured with version = 3; its tables were merged as written',
    ]);
  });

  it('leaves out config_path when the user TOML still sets legacy registry mirrors, with a warning', () => {
    const toml = '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\nendpoint = ["https://mirror.local"]\n';
    const plan = render(baseConfig(ca.certBase64, { containerd: { config: toml } }), baseFacts());
    const out = file(plan, '/etc/containerd/config.toml');
    expect(out).not.toContain('config_path');
    expect(out).toContain('[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\nendpoint = [ "https://mirror.local" ]\n');
    expect(plan.warnings).toEqual([
      'spec.containerd.config: sets registry mirrors, which containerd does not accept together with config_path; the agent\'s config_path = "/etc/containerd/certs.d:/etc/docker/certs.d" was left out (prefer hosts.toml files under /etc/containerd/certs.d)',
    ]);
  });

  it('keeps a TOML string value inside its string (no injected tables)', () => {
    const toml = '[plugins."io.containerd.grpc.v1.cri"]\nsandbox_image = "evil\\"\\n[plugins.x]\\ny = 1"\n';
    const out = file(render(baseConfig(ca.certBase64, { containerd: { config: toml } }), baseFacts()), '/etc/containerd/config.toml');
    expect(out).toContain('sandbox_image = "evil\\"\\n[plugins.x]\\ny = 1"');
    expect(out).not.toMatch(/^\[plugins\.x\]/m);
  });
});

describe('render rejects what could break out of a line, naming the field', () => {
  const cases: Array<[string, (ca: string) => unknown, RegExp]> = [
    [
      'a newline in a unit environment value',
      (ca) => render(baseConfig(ca, { instance: { environment: { kubelet: { A: 'x\n[Service]\nExecStart=/bin/sh' } } } }), baseFacts()),
      /^spec\.instance\.environment\.kubelet\.A: the value contains a line break/,
    ],
    [
      'a bad variable name',
      (ca) => render(baseConfig(ca, { instance: { environment: { kubelet: { 'A B': 'x' } } } }), baseFacts()),
      /^spec\.instance\.environment\.kubelet\.A B: "A B" is not an environment variable name/,
    ],
    [
      'a unit name with a path',
      (ca) => render(baseConfig(ca, { instance: { environment: { '../../etc/cron.d/x': { A: 'x' } } } }), baseFacts()),
      /^spec\.instance\.environment: "\.\.\/\.\.\/etc\/cron\.d\/x" is not a service unit name/,
    ],
    [
      'a flag with a space',
      (ca) => render(baseConfig(ca, { kubelet: { flags: ['--node-labels=a=b', '--node-labels=a b'] } }), baseFacts()),
      /^spec\.kubelet\.flags\[1\]: "--node-labels=a b" contains whitespace/,
    ],
    [
      'a flag with a newline',
      (ca) => render(baseConfig(ca, { kubelet: { flags: ['--v=2\nOTHER=1'] } }), baseFacts()),
      /^spec\.kubelet\.flags\[0\]: .* contains whitespace or a control character/,
    ],
    [
      'invalid user TOML',
      (ca) => render(baseConfig(ca, { containerd: { config: '[plugins\nx = ' } }), baseFacts()),
      /^spec\.containerd\.config: invalid TOML at line 1/,
    ],
    [
      'a CA that is not PEM',
      () => render(baseConfig(Buffer.from('hello').toString('base64')), baseFacts()),
      /^spec\.cluster\.certificateAuthority: "aGVsbG8=" is base64 but holds no PEM certificate/,
    ],
    [
      'a service CIDR that is not a CIDR',
      (ca) => render({ ...baseConfig(ca), spec: { cluster: { ...baseConfig(ca).spec.cluster, cidr: '10.0.0/16' } } }, baseFacts()),
      /^spec\.cluster\.cidr: "10\.0\.0\/16" is not a valid CIDR/,
    ],
    [
      'an IPv6 cluster without an IPv6 address',
      (ca) => render({ ...baseConfig(ca), spec: { cluster: { ...baseConfig(ca).spec.cluster, cidr: 'fd00::/108' } } }, baseFacts()),
      /^facts\.ipv6: missing/,
    ],
    [
      'an outpost without a cluster id',
      (ca) => render({ ...baseConfig(ca), spec: { cluster: { ...baseConfig(ca).spec.cluster, enableOutpost: true } } }, baseFacts()),
      /^spec\.cluster\.id: required when spec\.cluster\.enableOutpost is true/,
    ],
    ['a hostname with a quote', (ca) => render(baseConfig(ca), baseFacts({ privateDnsName: 'ip-1" --x' })), /^facts\.privateDnsName: /],
    ['a bad kubelet version', (ca) => render(baseConfig(ca), baseFacts({ kubeletVersion: 'latest' })), /^facts\.kubeletVersion: "latest" is not a version/],
  ];
  it.each(cases)('%s', (_name, fn, message) => {
    // The real CA, so each case fails for the reason it tests.
    const err = renderError(() => fn(ca.certBase64));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });
});

describe('templates', () => {
  it('fail on a missing variable instead of rendering an empty string (strict)', () => {
    expect(() => renderTemplate('kubeletEnvironment', { variables: [{ value: 'x' }] })).toThrow(/"name" not defined/);
  });
  it('do not HTML-escape (noEscape)', () => {
    const out = renderTemplate('kubeletEnvironment', { variables: [{ name: 'X', value: '<a&b>' }] });
    expect(out).toContain('X="<a&b>"');
    expect(out).not.toContain('&lt;');
  });
  it('are precompiled from the current *.hbs.ts sources (npm run gen:templates)', async () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(await generate());
  });
});
