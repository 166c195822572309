import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { agentCommand, fileUri, fixture, runAgent } from '../support/agent.js';

const ud = (name: string) => fileUri(fixture(`userdata/${name}`));
/** A NodeConfig for cluster `demo` (a name-only config) with these further YAML lines under spec. */
const demo = (...lines: string[]) =>
  ['apiVersion: node.eks.aws/v1alpha1', 'kind: NodeConfig', 'spec:', '  cluster:', '    name: demo', ...lines, ''].join('\n');
const tmp = mkdtempSync(join(tmpdir(), 'eks-node-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function tmpFile(name: string, content: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return fileUri(path);
}

/** Every bad input: exit 1, exactly one error line naming the field or source, no stack trace. */
async function expectOneLineError(source: string, pattern: RegExp) {
  const r = await runAgent(['config', 'check', '-c', source]);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.exitCode).toBe(1);
}

describe('config check', () => {
  it('accepts complete user data and says nothing will be fetched', async () => {
    const r = await runAgent(['config', 'check', '-c', ud('complete.yaml')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^configuration is valid\n/);
    expect(r.stdout).toContain('cluster details are complete: no EKS API call on boot');
  });

  it('says which cluster fields a name-only config will fetch', async () => {
    const r = await runAgent(['config', 'check', '-c', ud('name-only.yaml')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('will fetch with eks:DescribeCluster: spec.cluster.apiServerEndpoint, spec.cluster.certificateAuthority, spec.cluster.cidr');
  });

  it('tolerates a script-only source when another source has a NodeConfig', async () => {
    const r = await runAgent(['config', 'check', '-c', ud('script-only.sh'), '-c', ud('name-only.yaml')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/ignored: .*script-only.sh: a script or cloud-config/);
  });

  it('says what local storage would do on this machine', async () => {
    const text = demo('  instance:', '    localStorage:', '      strategy: RAID0', '      disabledMounts: [PodLogs, SOCI]');
    const r = await runAgent(['config', 'check', '-c', tmpFile('local-storage.yaml', text)]);
    expect(r.exitCode).toBe(0);
    // which disks this machine has is not ours to know: only the shape of the line
    expect(r.stdout).toMatch(
      /^local storage: RAID0 .*\/mnt\/k8s-disks\/0.*bind mounts: \/var\/lib\/containerd → \/mnt\/k8s-disks\/0\/containerd, \/var\/lib\/kubelet → /m,
    );
    expect(r.stdout).not.toContain('/var/log/pods');
    expect(r.stdout).not.toContain('localStorage is accepted but not applied');
  });

  it('warns, as render and init will, that legacy registry mirrors drop config_path', async () => {
    const text = demo(
      '  containerd:',
      '    config: |',
      '      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]',
      '      endpoint = ["https://mirror.local"]',
    );
    const r = await runAgent(['config', 'check', '-c', tmpFile('mirrors.yaml', text)]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('warning: spec.containerd.config: sets registry mirrors, which containerd does not accept together with config_path');
  });

  it('refuses a config and still prints what a boot would warn about, so one pass shows every change', async () => {
    const text = demo('  instance:', '    environment:', '      kubelet:', '        HTTPS_PROXY: http://proxy.corp.example:3128', '        NO_PROXY: "a b,c"');
    const r = await runAgent(['config', 'check', '-c', tmpFile('proxy-slips.yaml', text)]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'error: spec.instance.environment.kubelet.NO_PROXY: "a b" is one entry to the kubelet and containerd, which split NO_PROXY at commas alone, so they match none of its names (separate them with commas)',
    ]);
    // the kubelet-only proxy is a boot's warning, not an error: it is said beside the refusal, and nothing claims the config valid
    expect(r.stdout).toMatch(
      /^warning: spec\.instance\.environment\.kubelet\.HTTPS_PROXY: the kubelet's alone; containerd, which pulls the node's images, gets no HTTPS_PROXY/,
    );
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('prints those warnings beside a hard error too, and none when no rule can read the refused value', async () => {
    const proxy = ['  instance:', '    environment:', '      kubelet:', '        HTTPS_PROXY: http://proxy.corp.example:3128'];
    const r = await runAgent(['config', 'check', '-c', tmpFile('hard-and-proxy.yaml', demo('    cidr: 10.100.0.0/33', ...proxy))]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: spec\.cluster\.cidr: "10\.100\.0\.0\/33" is not a valid CIDR/)]);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^warning: spec\.instance\.environment\.kubelet\.HTTPS_PROXY: the kubelet's alone; containerd, which pulls the node's images, gets no HTTPS_PROXY/,
      ),
    ]);
    // a containerd config that is no TOML is the error; the registry-mirror rule, which reads it, stays silent rather than fail
    const toml = ['  containerd:', '    config: |', '      [plugins', '      endpoint = ["https://mirror.local"]'];
    const bad = await runAgent(['config', 'check', '-c', tmpFile('bad-toml.yaml', demo(...toml))]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^error: spec\.containerd\.config: /);
    expect(bad.stdout).toBe('');
  });

  it("says where the agent's AWS calls go when the default environment names an override or a variant", async () => {
    const env = [
      '  instance:',
      '    environment:',
      '      default:',
      '        AWS_ENDPOINT_URL: https://all.corp.test',
      '        AWS_ENDPOINT_URL_EKS: https://eks.corp.test',
    ];
    const r = await runAgent(['config', 'check', '-c', tmpFile('endpoints.yaml', demo(...env, '        AWS_USE_FIPS_ENDPOINT: "true"'))]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "endpoints: the agent's EKS calls go to https://eks.corp.test, EC2 calls go to https://all.corp.test, STS calls go to https://all.corp.test (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL)",
    );
    // every service overridden: the variant chooses nothing, and is not said
    expect(r.stdout).not.toContain('FIPS endpoints');
    const eksOnly = await runAgent([
      'config',
      'check',
      '-c',
      tmpFile('eks-only.yaml', demo(...env.slice(0, 3), env[4]!, '        AWS_USE_FIPS_ENDPOINT: "true"')),
    ]);
    expect(eksOnly.stdout).toContain("endpoints: the agent's EKS calls go to https://eks.corp.test (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL)");
    expect(eksOnly.stdout).toContain(
      "endpoints: the agent's EKS, EC2 and STS calls go to their FIPS endpoints (AWS_USE_FIPS_ENDPOINT), where no override names one",
    );
    // the overrides switched off: no call goes to them, and the line says which are set aside
    const ignored = await runAgent(['config', 'check', '-c', tmpFile('ignored.yaml', demo(...env, '        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true"'))]);
    expect(ignored.exitCode, ignored.stderr).toBe(0);
    expect(ignored.stdout).not.toContain('calls go to https://');
    expect(ignored.stdout).toContain(
      "endpoints: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, so the agent's calls and the node's AWS SDK programs take none of AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EKS",
    );
  });

  it('names misspelt KubeletConfiguration fields and bad taint effects, all at once', async () => {
    const text = demo(
      '  kubelet:',
      '    config:',
      '      maxPod: 20',
      '      registerWithTaints:',
      '        - { key: dedicated, value: infra, effect: NoSchedul }',
    );
    const r = await runAgent(['config', 'check', '-c', tmpFile('kubelet-typos.yaml', text)]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain('error: spec.kubelet.config.registerWithTaints[0].effect: "NoSchedul" is not allowed (expected "NoSchedule")');
    expect(lines.some((l) => l.startsWith('error: spec.kubelet.config.maxPod: unknown KubeletConfiguration field (did you mean "maxPods"?)'))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails when no source holds a NodeConfig', async () => {
    await expectOneLineError(ud('script-only.sh'), /^error: no NodeConfig found in file:\/\/.*script-only.sh/);
  });

  it.each([
    ['malformed YAML', 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: [demo\n', /malformed YAML at line \d+, column \d+/],
    ['wrong apiVersion', 'apiVersion: node.eks.aws/v1\nkind: NodeConfig\n', /apiVersion: "node.eks.aws\/v1" is not supported/],
    ['wrong kind', 'apiVersion: node.eks.aws/v1alpha1\nkind: Node\n', /kind: "Node" is not supported/],
    [
      'missing apiVersion',
      'kind: NodeConfig\nspec:\n  cluster:\n    name: demo\n',
      /^error: file:\/\/.*: `apiVersion` is missing; expected node\.eks\.aws\/v1alpha1$/m,
    ],
    ['missing kind', 'apiVersion: node.eks.aws/v1alpha1\nspec:\n  cluster:\n    name: demo\n', /: `kind` is missing; expected NodeConfig$/m],
    ['http endpoint', demo('    apiServerEndpoint: http://example.com'), /^error: spec.cluster.apiServerEndpoint: "http:\/\/example.com" is not an https URL/],
    ['CIDR /33', demo('    cidr: 10.100.0.0/33'), /^error: spec.cluster.cidr: "10.100.0.0\/33" is not a valid CIDR/],
    [
      'an endpoint variant Go refuses',
      demo('  instance:', '    environment:', '      kubelet:', '        AWS_USE_DUALSTACK_ENDPOINT: "1"'),
      /^error: spec\.instance\.environment\.kubelet\.AWS_USE_DUALSTACK_ENDPOINT: "1" is neither true nor false: .*ecr-credential-provider among them\) refuse to load their AWS configuration \(expected "true" or "false"\)$/m,
    ],
    [
      'CA base64 but not PEM',
      demo(`    certificateAuthority: ${Buffer.from('hello world').toString('base64')}`),
      /^error: spec.cluster.certificateAuthority: .* holds no PEM certificate/,
    ],
    [
      'flag with a newline in its value',
      demo('  kubelet:', '    flags:', '      - "--node-labels=a=b\\nc=d"'),
      /^error: spec.kubelet.flags\[0\]: .* contains whitespace or a control character/,
    ],
    ['misspelt field', demo('    apiServerEndpiont: https://x'), /spec.cluster.apiServerEndpiont: unknown field \(did you mean "apiServerEndpoint"\?\)/],
  ])('rejects %s with one line', async (name, text, pattern) => {
    await expectOneLineError(tmpFile(`${name.replace(/\W+/g, '-')}.yaml`, text), pattern);
  });

  it('rejects a MIME document with a broken boundary', async () => {
    const broken = readFileSync(fixture('userdata/karpenter.mime'), 'utf8').replaceAll('--//', '--XX');
    await expectOneLineError(tmpFile('broken.mime', broken), /MIME boundary "\/\/" never appears/);
  });

  it('says what is missing when a MIME document lost its multipart header', async () => {
    const mime = readFileSync(fixture('userdata/karpenter.mime'), 'utf8');
    const headerless = mime.slice(mime.indexOf('--//'));
    await expectOneLineError(
      tmpFile('headerless.mime', headerless),
      /headerless\.mime: starts with the MIME boundary line "--\/\/" but has no MIME header; begin the user data with "MIME-Version: 1\.0" and "Content-Type: multipart\/mixed; boundary="\/\/"", then a blank line$/m,
    );
  });

  describe('a boundary line forgotten before the NodeConfig part', () => {
    const mime = readFileSync(fixture('userdata/karpenter.mime'), 'utf8');
    const swallowed = mime.replace('--//\nContent-Type: application/node.eks.aws', 'Content-Type: application/node.eks.aws');
    const extra = tmpFile('extra.yaml', readFileSync(fixture('userdata/complete.yaml')));

    it('config check fails naming the part that swallowed it', async () => {
      const r = await runAgent(['config', 'check', '-c', tmpFile('swallowed.mime', swallowed), '-c', extra]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        /^error: file:\/\/.*swallowed\.mime \(MIME part 1\): this text\/x-shellscript part holds what looks like a NodeConfig \(line 4 of the part: "Content-Type: application\/node\.eks\.aws"\); is a boundary line missing before it\? As written, it is part of this part and is not read\n$/,
      );
    });

    it('with no other NodeConfig the "none found" error carries the hint', async () => {
      const r = await runAgent(['config', 'check', '-c', tmpFile('swallowed-only.mime', swallowed)]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^error: no NodeConfig found in /);
      expect(r.stderr.split('\n')[1]).toMatch(/looks like a NodeConfig .*is a boundary line missing before it\?/);
    });

    it('a script writing a NodeConfig drop-in with a heredoc is not mistaken for it', async () => {
      const heredoc = mime.replace(
        'echo "hello from a user-data script"',
        "cat > /etc/eks/nodeadm.d/10-labels.yaml <<'EOF'\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nEOF",
      );
      const r = await runAgent(['config', 'check', '-c', tmpFile('heredoc.mime', heredoc)]);
      expect(r.exitCode, r.stderr).toBe(0);
    });
  });

  it('rejects a gzip bomb', async () => {
    const { gzipSync } = await import('node:zlib');
    await expectOneLineError(tmpFile('bomb.gz', gzipSync(Buffer.alloc(8 * 1024 * 1024))), /expands past 1048576 bytes/);
  });

  it('rejects binary garbage and an empty file', async () => {
    await expectOneLineError(tmpFile('garbage.bin', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x90, 0x10, 0x11])), /not text, gzip or base64/);
    await expectOneLineError(tmpFile('empty.yaml', ''), /no NodeConfig found in .*empty.yaml: empty/);
  });

  it('rejects an unknown source scheme', async () => {
    await expectOneLineError('s3://bucket/key', /^error: --config-source "s3:\/\/bucket\/key": unsupported source/);
  });
});

describe('config dump', () => {
  it('merges a directory source in name order, later wins, flags append', async () => {
    const r = await runAgent(['config', 'dump', '--output', 'json', '-c', ud('dir-source')]);
    expect(r.exitCode).toBe(0);
    const dumped = JSON.parse(r.stdout);
    expect(dumped.spec.kubelet.flags).toEqual(['--node-labels=team=platform', '--v=2']);
    expect(dumped.spec.kubelet.config).toEqual({ shutdownGracePeriod: '30s', maxPods: 42 });
  });

  it("warns, and passes, when a later part's registerWithTaints leaves out Karpenter's taints", async () => {
    const karpenter = readFileSync(fixture('userdata/karpenter.mime'), 'utf8');
    const userPart = [
      'Content-Type: application/node.eks.aws',
      '',
      'apiVersion: node.eks.aws/v1alpha1',
      'kind: NodeConfig',
      'spec:',
      '  kubelet:',
      '    config:',
      '      registerWithTaints: [{ key: gpu, value: "true", effect: NoSchedule }]',
      '',
      '--//--',
    ].join('\n');
    const r = await runAgent(['config', 'check', '-c', tmpFile('karpenter-user-taints.mime', karpenter.replace(/--\/\/--\s*$/, `--//\n${userPart}\n`))]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^warning: spec\.kubelet\.config\.registerWithTaints of .*\(MIME part 3\) replaces the list of .*\(MIME part 2\) .*, so the node registers without dedicated=batch:NoSchedule \(expected every taint in the later list\)$/m,
    );
  });

  it('merges two MIME parts and writes YAML to a file with -o', async () => {
    const out = join(tmp, 'dump.yaml');
    const r = await runAgent(['config', 'dump', '-c', ud('two-part.mime'), '-o', out]);
    expect(r.exitCode).toBe(0);
    const dumped = parse(readFileSync(out, 'utf8'));
    expect(dumped.spec.cluster.cidr).toBe('10.200.0.0/16');
    expect(dumped.spec.kubelet.config.shutdownGracePeriod).toBe('60s');
    expect(dumped.spec.kubelet.config.featureGates).toEqual({ DisableKubeletCloudCredentialProviders: true });
    expect(dumped.spec.kubelet.flags).toEqual(['--node-labels=first=1', '--register-with-taints=special=true:NoSchedule']);
    expect(dumped.spec.containerd.config).toContain('discard_unpacked_layers = false');
    expect(dumped.spec.containerd.config).toContain('config_path = "/etc/containerd/certs.d"');
  });

  it('names each document of a multi-document YAML text in the merge line', async () => {
    const source = tmpFile('two-docs.yaml', `${demo()}---\n${demo('  kubelet:', '    flags: ["--v=2"]')}`);
    const r = await runAgent(['config', 'check', '-c', source]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`merged 2 NodeConfig document(s): ${source} (document 1), ${source} (document 2)\n`);
  });

  it('reads gzip+base64 and JSON user data to the same config as the YAML', async () => {
    const a = await runAgent(['config', 'dump', '--output', 'json', '-c', ud('complete.yaml.gz.b64')]);
    const b = await runAgent(['config', 'dump', '--output', 'json', '-c', ud('complete.yaml')]);
    const c = await runAgent(['config', 'dump', '--output', 'json', '-c', ud('complete.json')]);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(c.stdout).spec.cluster).toEqual(JSON.parse(b.stdout).spec.cluster);
  });
});

describe('cli', () => {
  it('prints its version and help', async () => {
    const v = await runAgent(['version']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/^eks-node-agent \d+\.\d+\.\d+ \(node v\d+/);
    for (const cmd of [[], ['init'], ['render'], ['config', 'check'], ['config', 'dump'], ['doctor']]) {
      const h = await runAgent([...cmd, '--help']);
      expect(h.exitCode).toBe(0);
      expect(h.stdout).toMatch(/^Usage: eks-node-agent/);
    }
  });

  it('prints a stack trace only with --debug, before or after the command', async () => {
    const missing = ['config', 'check', '-c', 'file:///nonexistent/user-data'];
    const plain = await runAgent(missing);
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr).toBe("error: file:///nonexistent/user-data: cannot read (ENOENT: no such file or directory, stat '/nonexistent/user-data')\n");
    for (const args of [
      ['--debug', ...missing],
      [...missing, '--debug'],
    ]) {
      const r = await runAgent(args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^error: file:\/\/\/nonexistent\/user-data: cannot read .*\nInputError: .*\n\s+at /);
    }
  });

  it('finishes quietly with its own exit code when the reader of its output is gone', async () => {
    const agent = agentCommand()
      .map((a) => `'${a}'`)
      .join(' ');
    const r = await execa('bash', ['-c', `set -o pipefail; ${agent} config dump -c '${ud('complete.yaml')}' | true`], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('treats an unknown option as bad input', async () => {
    const r = await runAgent(['config', 'check', '--bogus']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });
});
