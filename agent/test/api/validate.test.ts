import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { advisoryProblems, validateNodeConfig, missingClusterFields } from '../../src/api/validate.js';
import { maxPodsFlag } from '../../src/api/kubelet-flags.js';
import { parseNodeConfigs, toNodeConfig } from '../../src/api/parse.js';
import { InputError } from '../../src/errors.js';
import type { NodeConfig } from '../../src/api/schema.js';

const complete = (): NodeConfig => parse(readFileSync(new URL('../../../test/fixtures/userdata/complete.yaml', import.meta.url), 'utf8')) as NodeConfig;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).problems;
  }
  throw new Error('expected an InputError');
}

describe('schema', () => {
  it('rejects a misspelt field with its path and a suggestion', () => {
    const doc = complete() as unknown as { spec: { cluster: Record<string, unknown> } };
    doc.spec.cluster.apiServerEndpiont = doc.spec.cluster.apiServerEndpoint;
    // advisory: the document is used without the field, and the problem is handed back
    const parsed = toNodeConfig(doc, 'ud');
    expect(parsed.advisories).toEqual(['ud: spec.cluster.apiServerEndpiont: unknown field (did you mean "apiServerEndpoint"?)']);
    expect(parsed.config.spec?.cluster).not.toHaveProperty('apiServerEndpiont');
    expect(parsed.config.spec?.cluster?.apiServerEndpoint).toBe(doc.spec.cluster.apiServerEndpoint);
  });

  it('reports an unknown field as an error beside a real error', () => {
    const doc = complete() as unknown as { spec: { cluster: Record<string, unknown> } };
    doc.spec.cluster.futureField = 1;
    doc.spec.cluster.enableOutpost = 'yes';
    expect(problemsOf(() => toNodeConfig(doc, 'ud'))).toEqual([
      'ud: spec.cluster.enableOutpost: "yes" is a string (expected boolean)',
      'ud: spec.cluster.futureField: unknown field',
    ]);
  });

  it('treats null and "" of an optional field as not set, and says so', () => {
    const text =
      'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: demo\n    apiServerEndpoint:\n    certificateAuthority: ""\n  kubelet:\n';
    const [doc] = parseNodeConfigs(text, 'ud');
    expect(doc!.config.spec).toEqual({ cluster: { name: 'demo' } });
    expect(doc!.notes).toEqual([
      'ud: spec.cluster.apiServerEndpoint: null, treated as not set',
      'ud: spec.cluster.certificateAuthority: empty, treated as not set',
      'ud: spec.kubelet: null, treated as not set',
    ]);
    expect(missingClusterFields(doc!.config.spec?.cluster)).toEqual(['apiServerEndpoint', 'certificateAuthority', 'cidr']);
  });

  it('names a wrong apiVersion and kind', () => {
    expect(problemsOf(() => toNodeConfig({ apiVersion: 'v1', kind: 'NodeConfig' }, 'ud'))).toEqual([
      'ud: apiVersion: "v1" is not supported (expected "node.eks.aws/v1alpha1")',
    ]);
    expect(problemsOf(() => toNodeConfig({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'Pod' }, 'ud'))[0]).toMatch(/kind: "Pod"/);
  });

  it('names a value of the wrong type', () => {
    const doc = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { kubelet: { flags: '--v=2' } } };
    expect(problemsOf(() => toNodeConfig(doc, 'ud'))).toEqual(['ud: spec.kubelet.flags: "--v=2" is a string (expected list)']);
  });

  it('names a value outside an enum, with the allowed ones', () => {
    const doc = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { instance: { localStorage: { strategy: 'RAID5' } } } };
    expect(problemsOf(() => toNodeConfig(doc, 'ud'))).toEqual([
      'ud: spec.instance.localStorage.strategy: "RAID5" is not allowed (expected "RAID0" or "RAID10" or "Mount")',
    ]);
  });

  it('gives line and column of malformed YAML', () => {
    const text = 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: [name: x\n';
    expect(problemsOf(() => parseNodeConfigs(text, 'ud'))[0]).toMatch(/^ud: malformed YAML at line \d+, column \d+: /);
  });

  it('reports a key that is a list as an unknown field, without a runtime warning on stderr', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const text = 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: {? [a]: b}\n';
      expect(parseNodeConfigs(text, 'ud')[0]?.advisories).toEqual(['ud: spec.cluster.[ a ]: unknown field']);
      // the runtime emits a warning on the next tick
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it('refuses a YAML alias inside the node it names, and takes one used twice side by side', () => {
    const head = 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n';
    expect(problemsOf(() => parseNodeConfigs(`${head}  kubelet:\n    config: &c\n      - *c\n`, 'ud'))).toEqual([
      'ud: spec.kubelet.config[0]: a YAML alias refers to a node that contains it (a NodeConfig cannot hold itself)',
    ]);
    expect(problemsOf(() => parseNodeConfigs(`${head}  kubelet: &k\n    config:\n      x: *k\n`, 'ud'))[0]).toBe(
      'ud: spec.kubelet.config.x: a YAML alias refers to a node that contains it (a NodeConfig cannot hold itself)',
    );
    const [doc] = parseNodeConfigs(`${head}  kubelet:\n    flags: &f [--v=2]\n  containerd:\n    baseRuntimeSpec:\n      a: *f\n      b: *f\n`, 'ud');
    expect(doc?.config.spec?.kubelet?.flags).toEqual(['--v=2']);
  });

  it('rejects an unknown localStorage strategy', () => {
    const doc = complete();
    doc.spec!.instance = { localStorage: { strategy: 'RAID5' as 'RAID0' } };
    expect(problemsOf(() => toNodeConfig(doc, 'ud'))[0]).toMatch(/spec.instance.localStorage.strategy: "RAID5" is not allowed/);
  });
});

describe('validateNodeConfig', () => {
  it('accepts the complete fixture and a name-only config', async () => {
    expect(await validateNodeConfig(complete())).toEqual([]);
    const nameOnly: NodeConfig = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { cluster: { name: 'demo' } } };
    expect(await validateNodeConfig(nameOnly)).toEqual([]);
    expect(missingClusterFields(nameOnly.spec?.cluster)).toEqual(['apiServerEndpoint', 'certificateAuthority', 'cidr']);
    expect(missingClusterFields(complete().spec?.cluster)).toEqual([]);
  });

  it('reports every problem at once, each with its field path', async () => {
    const doc = complete();
    const cluster = doc.spec!.cluster!;
    cluster.name = '-bad name';
    cluster.apiServerEndpoint = 'http://example.com';
    cluster.certificateAuthority = Buffer.from('not a certificate').toString('base64');
    cluster.cidr = '10.100.0.0/33';
    cluster.enableOutpost = true;
    doc.spec!.kubelet!.flags = ['--node-labels=a=b\n--evil=1', 'verbose'];
    const problems = await validateNodeConfig(doc);
    expect(problems).toEqual([
      'spec.cluster.name: "-bad name" is not a valid EKS cluster name (expected 1-100 letters, digits, "-" or "_", starting with a letter or digit)',
      'spec.cluster.apiServerEndpoint: "http://example.com" is not an https URL (expected https://host or https://host:port, e.g. "https://ABCD.gr7.us-west-2.eks.amazonaws.com")',
      expect.stringMatching(/^spec.cluster.certificateAuthority: ".*" is base64 but holds no PEM certificate/),
      'spec.cluster.cidr: "10.100.0.0/33" is not a valid CIDR (expected e.g. "10.100.0.0/16" or "fd00::/108")',
      'spec.cluster.id: required when spec.cluster.enableOutpost is true (expected the Outpost cluster id)',
      'spec.kubelet.flags[0]: "--node-labels=a=b\\n--evil=1" contains whitespace or a control character (expected one flag per item without spaces, e.g. "--node-labels=team=a,tier=b")',
      'spec.kubelet.flags[1]: "verbose" is not a kubelet flag (expected "--name=value" or "--name")',
    ]);
    for (const p of problems) expect(p).not.toMatch(/\n/);
  });

  it("rejects a maxPods past the kubelet's int32, and takes the largest it holds", async () => {
    const doc = complete();
    doc.spec!.kubelet!.config = { maxPods: 2 ** 31 };
    expect(await validateNodeConfig(doc)).toEqual([
      "spec.kubelet.config.maxPods: 2147483648 is more than the kubelet's maxPods holds (expected at most 2147483647, e.g. 58)",
    ]);
    doc.spec!.kubelet!.config = { maxPods: 2 ** 31 - 1 };
    expect(await validateNodeConfig(doc)).toEqual([]);
  });

  it('rejects every --max-pods flag the kubelet could not read, and keeps the last for render', async () => {
    const doc = complete();
    doc.spec!.kubelet!.flags = ['--max-pods=lots', '--max-pods', '--max-pods=0', '--max-pods=2147483648', '--max-pods=0110', '--max-pods=20'];
    const expected = (i: number, flag: string) =>
      `spec.kubelet.flags[${i}]: "${flag}" does not set a usable max pods (expected a whole number from 1 to 2147483647, e.g. "--max-pods=110")`;
    expect(await validateNodeConfig(doc)).toEqual([
      expected(0, '--max-pods=lots'),
      expected(1, '--max-pods'),
      expected(2, '--max-pods=0'),
      expected(3, '--max-pods=2147483648'),
      expected(4, '--max-pods=0110'),
    ]);
    doc.spec!.kubelet!.flags = ['--max-pods=20', '--max-pods-per-core=3', '--max-pods=110'];
    expect(await validateNodeConfig(doc)).toEqual([]);
    expect(maxPodsFlag(doc.spec!.kubelet!.flags)).toEqual({ path: 'spec.kubelet.flags[2]', flag: '--max-pods=110', value: 110 });
    expect(maxPodsFlag(['--v=2'])).toBeUndefined();
  });

  it('rejects a CA that is base64 of a corrupt PEM block', async () => {
    const doc = complete();
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    doc.spec!.cluster!.certificateAuthority = Buffer.from(pem).toString('base64');
    expect((await validateNodeConfig(doc))[0]).toMatch(/holds a PEM block that is not a valid X.509 certificate/);
  });

  it('rejects a short-form IPv4 CIDR', async () => {
    const doc = complete();
    doc.spec!.cluster!.cidr = '10.100.0/16';
    expect(await validateNodeConfig(doc)).toEqual(['spec.cluster.cidr: "10.100.0/16" is not a valid CIDR (expected e.g. "10.100.0.0/16" or "fd00::/108")']);
  });

  it('accepts an IPv6 service CIDR and rejects a bad containerd TOML with its line', async () => {
    const doc = complete();
    doc.spec!.cluster!.cidr = 'fd00::/108';
    doc.spec!.containerd = { config: '[plugins\nx = 1' };
    expect(await validateNodeConfig(doc)).toEqual([expect.stringMatching(/^spec.containerd.config: invalid TOML at line 1/)]);
  });

  it('rejects environment values that would break out of their line, never showing the value', async () => {
    const doc = complete();
    doc.spec!.instance = { environment: { kubelet: { HTTP_PROXY: 'http://p:3128\nExecStart=/bin/sh', 'BAD-NAME': 'x' } } };
    expect(await validateNodeConfig(doc)).toEqual([
      'spec.instance.environment.kubelet.BAD-NAME: "BAD-NAME" is not an environment variable name (expected letters, digits and "_", not starting with a digit)',
      'spec.instance.environment.kubelet.HTTP_PROXY: the value contains a line break or control character (expected a single-line value; not shown, it may be secret)',
    ]);
  });

  it('checks resolvers: nameservers written out as IP addresses, domains as DNS names', async () => {
    const doc = complete();
    doc.spec!.instance = {
      network: { nameservers: ['10.0.0.2', 'fd00:ec2::253', '10.2', 'dns.corp'], domains: ['corp.example', '~svc.corp.example', '~.', 'bad domain'] },
    };
    const expected = '(expected an IP address, e.g. "10.0.0.2" or "fd00:ec2::253", with an optional ":port" ("[IPv6]:port"), "%interface" and "#server-name")';
    expect(await validateNodeConfig(doc)).toEqual([
      `spec.instance.network.nameservers[2]: "10.2" is not a DNS server address ${expected}`,
      `spec.instance.network.nameservers[3]: "dns.corp" is not a DNS server address ${expected}`,
      'spec.instance.network.domains[3]: "bad domain" is not a DNS domain (expected e.g. "corp.example", or "~corp.example" to route only its queries)',
    ]);
  });

  it("takes every nameserver form systemd-resolved's DNS= takes, as nodeadm passes them on, and nothing that would change the drop-in", async () => {
    const taken = [
      '10.0.0.2:5353',
      '[fd00:ec2::253]:53',
      '[fd00::1]',
      '10.0.0.2%eth0',
      'fe80::1%2',
      '10.0.0.2#dns.corp.example',
      '[fd00::1]:853%ens5#dot.example',
      '1.1.1.1:853#cloudflare-dns.com',
    ];
    const refused = [
      '10.0.0.2:0',
      '10.0.0.2:70000',
      'fd00::1:53:x',
      '[10.0.0.2]:53',
      '10.0.0.2 10.0.0.3',
      '10.0.0.2\nDNSSEC=no',
      '10.0.0.2#',
      '10.0.0.2%',
      'dns.corp:53',
      '[fd00::1]53',
    ];
    const doc = complete();
    doc.spec!.instance = { network: { nameservers: [...taken, ...refused] } };
    const problems = await validateNodeConfig(doc);
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual(refused.map((_, i) => `spec.instance.network.nameservers[${taken.length + i}]`));
  });

  it('checks proxy URLs of the default environment without showing them', async () => {
    const doc = complete();
    doc.spec!.instance = { environment: { default: { HTTPS_PROXY: 'proxy.corp:3128', http_proxy: 'ftp://u:secret@x', NO_PROXY: 'anything' } } };
    expect(await validateNodeConfig(doc)).toEqual([
      'spec.instance.environment.default.http_proxy: is not a proxy URL (expected e.g. "http://proxy.corp.example:3128", or "socks5://proxy.corp.example:1080")',
    ]);
    // the SOCKS5 schemes Go takes beside http and https; SOCKS4, which Go does not, is refused
    doc.spec!.instance = {
      environment: {
        default: { HTTPS_PROXY: 'socks5://u:secret@proxy.corp:1080', HTTP_PROXY: 'socks5h://proxy.corp', http_proxy: 'socks4://proxy.corp:1080' },
      },
    };
    expect(await validateNodeConfig(doc)).toEqual([
      'spec.instance.environment.default.http_proxy: is not a proxy URL (expected e.g. "http://proxy.corp.example:3128", or "socks5://proxy.corp.example:1080")',
    ]);
    // socks5h:// is a proxy URL, advised against: older Go reads it as an HTTP proxy named "socks5h"
    expect(advisoryProblems(doc)).toEqual([
      expect.stringMatching(
        /^spec\.instance\.environment\.default\.HTTP_PROXY: socks5h:\/\/ is read by Go releases from before its support .*\(write socks5:\/\/\)$/,
      ),
    ]);
  });
});

describe('advisoryProblems', () => {
  it('advises against a clusterDNS entry that is not an IP address, which the kubelet ignores', async () => {
    const doc = complete();
    doc.spec!.kubelet!.config = { clusterDNS: ['169.254.20.10', 'fd00::a', 'kube-dns.kube-system', '10.100.0'] };
    expect(advisoryProblems(doc)).toEqual([
      'spec.kubelet.config.clusterDNS[2]: "kube-dns.kube-system" is not an IP address, and the kubelet ignores it (expected e.g. "10.100.0.10" or "169.254.20.10")',
      'spec.kubelet.config.clusterDNS[3]: "10.100.0" is not an IP address, and the kubelet ignores it (expected e.g. "10.100.0.10" or "169.254.20.10")',
    ]);
    expect(await validateNodeConfig(doc)).toEqual([]);
  });

  it('advises that cipher suites beside a TLS 1.3 minimum narrow nothing; refuses systemCgroups without a cgroupRoot', async () => {
    const doc = complete();
    doc.spec!.kubelet!.config = { tlsMinVersion: 'VersionTLS13', tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] };
    expect(advisoryProblems(doc)).toEqual([expect.stringMatching(/^spec\.kubelet\.config\.tlsCipherSuites: the kubelet ignores cipher suites beside/)]);
    expect(await validateNodeConfig(doc)).toEqual([]);
    doc.spec!.kubelet!.config = { systemCgroups: '/system.slice', cgroupRoot: '' };
    expect(await validateNodeConfig(doc)).toEqual([expect.stringMatching(/^spec\.kubelet\.config\.systemCgroups: needs a cgroupRoot/)]);
    expect(advisoryProblems(doc)).toEqual([]);
  });

  it('advises against an eviction signal the kubelet does not know, in kubelet.config or an eviction flag', async () => {
    const doc = complete();
    doc.spec!.kubelet!.config = {
      evictionHard: { 'memory.availble': '200Mi', 'containerfs.available': '10%' },
      evictionSoft: { 'nodefs.available': '15%' },
      evictionSoftGracePeriod: { 'nodefs.available': '1m', 'disk.pressure': '1m' },
    };
    doc.spec!.kubelet!.flags = ['--eviction-hard=memory.available<100Mi,imagefs.avaliable<15%', '--eviction-minimum-reclaim=pid.available=100'];
    const tail = ', and the kubelet stops at start for one it does not (the list is of Kubernetes';
    expect(advisoryProblems(doc)).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.config\.evictionHard\.memory\.availble: "memory\.availble" is not an eviction signal the kubelet knows \(did you mean "memory\.available"\?\)/,
      ),
      expect.stringMatching(
        /^spec\.kubelet\.config\.evictionSoftGracePeriod\.disk\.pressure: "disk\.pressure" is not an eviction signal the kubelet knows, and/,
      ),
      expect.stringMatching(
        /^spec\.kubelet\.flags\[0\]: "imagefs\.avaliable" in --eviction-hard is not an eviction signal the kubelet knows \(did you mean "imagefs\.available"\?\)/,
      ),
    ]);
    for (const p of advisoryProblems(doc)) expect(p).toContain(tail);
    // advisory, so not among the problems that stop a boot
    expect(await validateNodeConfig(doc)).toEqual([]);
  });

  it("advises against proxy settings Go reads otherwise than the agent: a user:password it refuses, a path, NO_PROXY split at spaces; a malformed URL in a unit's key", async () => {
    const doc = complete();
    doc.spec!.instance = {
      environment: {
        default: { HTTPS_PROXY: 'http://user:pa ss@proxy.corp:3128', HTTP_PROXY: 'http//proxy.corp:3128', NO_PROXY: 'a b, c ,d' },
        kubelet: { https_proxy: 'http://user:p@ss!$(x)@proxy.corp:3128/', http_proxy: 'ftp://u:secret@x' },
        containerd: { HTTPS_PROXY: 'proxy.corp:3128/squid?x=1', HTTP_PROXY: 'http://u:"q"@proxy.corp:3128' },
      },
    };
    const advised = advisoryProblems(doc);
    expect(advised).toEqual([
      'spec.instance.environment.default.NO_PROXY: "a b" is one entry to the kubelet and containerd, which split NO_PROXY at commas alone, so they match none of its names (separate them with commas)',
      expect.stringMatching(
        /^spec\.instance\.environment\.default\.HTTPS_PROXY: its user:password holds a character Go's URL parser refuses .*\(percent-encode it: %20 for a space/,
      ),
      'spec.instance.environment.default.HTTP_PROXY: has a path or query after the host, which every program ignores: requests go to the host "http" (a scheme missing its colon, "http//"?) (expected "http://host:port")',
      'spec.instance.environment.kubelet.http_proxy: is not a proxy URL (expected e.g. "http://proxy.corp.example:3128", or "socks5://proxy.corp.example:1080")',
      'spec.instance.environment.containerd.HTTPS_PROXY: has a path or query after the host, which every program ignores: requests go to the host "proxy.corp" (expected "http://host:port")',
      expect.stringMatching(/^spec\.instance\.environment\.containerd\.HTTP_PROXY: its user:password holds a character Go's URL parser refuses/),
    ]);
    // the values may hold passwords: never shown
    for (const line of advised) expect(line).not.toMatch(/pa ss|secret|"q"/);
    // a boot goes on: none of them is an error
    expect(await validateNodeConfig(doc)).toEqual([]);
  });

  it('advises against a CA bundle named by a relative path, in the default environment only', async () => {
    const doc = complete();
    doc.spec!.instance = {
      environment: {
        default: { AWS_CA_BUNDLE: 'certs/proxy-ca.pem', SSL_CERT_FILE: ' /etc/pki/tls/certs/ca-bundle.crt ' },
        kubelet: { SSL_CERT_FILE: 'relative.pem' },
      },
    };
    expect(advisoryProblems(doc)).toEqual([
      'spec.instance.environment.default.AWS_CA_BUNDLE: "certs/proxy-ca.pem" is not an absolute path (each program would read it from its own working directory; expected e.g. "/etc/pki/tls/certs/ca-bundle.crt")',
    ]);
    // advisory, so not among the problems that stop a boot
    expect(await validateNodeConfig(doc)).toEqual([]);
    doc.spec!.instance.environment!.default = { SSL_CERT_FILE: './ca.pem', AWS_CA_BUNDLE: '' };
    expect(advisoryProblems(doc)).toEqual([expect.stringMatching(/^spec.instance.environment.default.SSL_CERT_FILE: ".\/ca.pem" is not an absolute path/)]);
  });
});

describe('names nodeadm ignores when it does not know them: advisory, so a newer tool cannot stop a boot', () => {
  it('accepts SOCI in disabledMounts (what it keeps off local storage: storage/plan.test.ts), and advises on a name it does not know', async () => {
    const doc = complete() as unknown as { spec: Record<string, unknown> };
    doc.spec.instance = { localStorage: { strategy: 'RAID0', disabledMounts: ['SOCI', 'PodLogs'] } };
    const { config } = toNodeConfig(doc, 'ud');
    expect(await validateNodeConfig(config)).toEqual([]);
    expect(advisoryProblems(config)).toEqual([]);
    doc.spec.instance = { localStorage: { disabledMounts: ['Soci', 'Kubelet'] } };
    const unknown = toNodeConfig(doc, 'ud').config;
    expect(await validateNodeConfig(unknown)).toEqual([]);
    expect(advisoryProblems(unknown)).toEqual([
      'spec.instance.localStorage.disabledMounts[0]: "Soci" is not a directory local storage moves onto the disks, and has no effect (did you mean "SOCI"?)',
      'spec.instance.localStorage.disabledMounts[1]: "Kubelet" is not a directory local storage moves onto the disks, and has no effect (expected one of Containerd, PodLogs, SOCI)',
    ]);
  });

  it('advises on a feature gate it does not know, with a suggestion for a misspelt one', async () => {
    const doc = complete();
    doc.spec!.featureGates = { InstanceIDNodeName: true, SomeNewerGate: false, FastImagePull: true };
    expect(await validateNodeConfig(doc)).toEqual([]);
    expect(advisoryProblems(doc)).toEqual([
      'spec.featureGates: "InstanceIDNodeName" is not a feature gate the agent knows, and has no effect (did you mean "InstanceIdNodeName"?)',
      'spec.featureGates: "SomeNewerGate" is not a feature gate the agent knows, and has no effect (expected one of InstanceIdNodeName, FastImagePull)',
    ]);
  });
});
