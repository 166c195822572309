import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBELET_CONFIG_TYPES } from '../../agent/src/api/kubelet-config-fields.generated.js';
import { baseFacts } from '../../agent/test/render/fixtures.js';
import { fileUri, fixture, runAgent } from '../support/agent.js';
import { createTestCa, type TestCert } from '../support/pki.js';

/*
 * `config check` and `render` share one rule set, so every fixture gets the same verdict from
 * both: the same error lines, or none. Advisory problems (unknown fields) are errors for
 * `config check` and `warning` lines of the same text in render's plan.
 */

const tmp = mkdtempSync(join(tmpdir(), 'eks-node-verdict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};
const FACTS = baseFacts({ ipv6: '2600:1f14::10' }).instance;
const TABLE = '{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}\n';

let ca: TestCert;
beforeAll(async () => {
  ca = await createTestCa();
});

interface Input {
  name: string;
  /** user data file */
  userData: () => string;
  facts?: Record<string, unknown>;
}

function inputs(): Input[] {
  const list: Input[] = [];
  for (const f of readdirSync(fixture('bad')).sort()) list.push({ name: `bad/${f}`, userData: () => fixture(`bad/${f}`) });
  for (const f of ['complete.yaml', 'complete.json', 'complete.yaml.gz.b64', 'karpenter.mime', 'two-part.mime', 'extra-args-in-flags.yaml']) {
    list.push({ name: `userdata/${f}`, userData: () => fixture(`userdata/${f}`) });
  }
  for (const d of readdirSync(fixture('render')).sort()) {
    list.push({
      name: `render/${d}`,
      userData: () => {
        const input = parse(readFileSync(fixture(`render/${d}/input.yaml`), 'utf8')) as { config: { spec: { cluster: { certificateAuthority: string } } } };
        if (input.config.spec.cluster.certificateAuthority === '@test-ca') input.config.spec.cluster.certificateAuthority = ca.certBase64;
        return write(`${d}.yaml`, stringify(input.config));
      },
      facts: (parse(readFileSync(fixture(`render/${d}/input.yaml`), 'utf8')) as { facts: { instance: Record<string, unknown> } }).facts.instance,
    });
  }
  return list;
}

const errors = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('error: '))
    .map((l) => l.slice('error: '.length));

describe('config check and render give every fixture the same verdict', () => {
  it('has golden and bad fixtures', () => {
    expect(inputs().filter((i) => i.name.startsWith('bad/')).length).toBeGreaterThanOrEqual(20);
  });

  for (const input of inputs()) {
    it(input.name, async () => {
      const source = fileUri(input.userData());
      const facts = write(`${input.name.replace(/\W+/g, '-')}.facts.json`, JSON.stringify({ ...FACTS, ...input.facts }));
      const table = write('types.jsonl', TABLE);
      const check = await runAgent(['config', 'check', '-c', source]);
      const render = await runAgent(['render', '-c', source, '--instance', facts, '--instance-types', table, '--out', join(tmp, 'out', input.name)]);
      const warnings = render.stdout
        .split('\n')
        .filter((l) => l.startsWith('warning '))
        .map((l) => l.slice('warning '.length));
      expect(check.stderr).not.toMatch(/internal|\n\s+at /);
      expect(render.stderr).not.toMatch(/internal|\n\s+at /);
      if (check.exitCode === 0) {
        expect(render.exitCode, render.stderr).toBe(0);
      } else if (render.exitCode === 0) {
        // advisory only: what check calls errors, render reports as warnings and goes on
        expect(check.exitCode).toBe(1);
        expect(errors(check.stderr).length).toBeGreaterThan(0);
        for (const e of errors(check.stderr)) expect(warnings).toContain(e);
      } else {
        expect(check.exitCode).toBe(1);
        expect(render.exitCode).toBe(1);
        expect(errors(render.stderr)).toEqual(errors(check.stderr));
      }
      if (input.name.startsWith('bad/')) expect(check.exitCode, check.stdout).toBe(1);
      if (input.name === 'userdata/extra-args-in-flags.yaml') {
        // every line numbers the flags as the file does: the third item, after one read as three flags
        const third = /^spec\.kubelet\.flags\[2\]: "NoSuchGate" is not a feature gate the kubelet knows/;
        expect(errors(check.stderr).filter((e) => third.test(e))).toHaveLength(1);
        expect(warnings.filter((w) => third.test(w))).toHaveLength(1);
      }
      // values of spec.instance.environment may be secrets: no message shows them
      expect(`${check.stderr}${render.stderr}`).not.toContain('s3cret');
    });
  }
});

describe('config check and render agree on fixtures changed field by field', () => {
  // A fixed-seed walk over the kubelet's own field list (mulberry32): each case sets one to three
  // KubeletConfiguration fields, flags or containerd settings to a value of the field's type or
  // of another, on a render fixture. Both commands must give the same verdict, as above, and
  // every warning of a passing check must be one of render's.
  let state = 0x5eed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const OTHER: unknown[] = [null, -1, 2 ** 31, '', 'x', '10Mi', '-1s', true, [], ['a'], {}, { a: 1 }, '5%', 'memory.available<100Mi', '1.2.3.4/8'];
  const ofKind = (kind: string, depth = 0): unknown => {
    if (random() < 0.3) return pick(OTHER);
    if (kind === 'bool') return random() < 0.5;
    if (/int|number/.test(kind)) return pick([0, 1, 10, 110, 250, -1, 0.5]);
    if (kind === 'duration') return pick(['0s', '10s', '1m30s', '-1s', 'x']);
    if (kind === 'map') return pick([{ cpu: '100m' }, { memory: '1Gi' }, { 'memory.available': '100Mi' }, { 'nodefs.available': '10%' }, { x: 'y' }]);
    if (kind.startsWith('list:')) return Array.from({ length: Math.floor(random() * 3) }, () => ofKind(kind.slice(5), depth + 1));
    if (kind.startsWith('struct:') && depth < 2) {
      const fields = KUBELET_CONFIG_TYPES[kind.slice(7)] ?? {};
      const name = pick(Object.keys(fields));
      return name === undefined ? {} : { [name]: ofKind(fields[name]!, depth + 1) };
    }
    return pick(['', 'x', 'static', 'none', 'systemd', '/var/lib/kubelet', '0.0.0.0']);
  };
  const kubeletFields = KUBELET_CONFIG_TYPES.KubeletConfiguration!;
  const FLAGS = [
    '--node-labels=a=b',
    '--register-with-taints=a=b:NoSchedule',
    '--max-pods=20',
    '--max-pods=abc',
    '--v=2',
    '--hostname-override=x',
    '--config=/x',
    '--unknown-flag',
  ];
  const CONTAINERD = [
    { config: '[plugins."io.containerd.grpc.v1.cri"]\nx = 1\n' },
    { config: 'version = 3\n' },
    { config: 'not toml [' },
    { baseRuntimeSpec: { process: {} } },
  ];
  const fixtures = readdirSync(fixture('render')).sort();

  it('on 32 changed fixtures', async () => {
    const verdicts = { passed: 0, advisory: 0, refused: 0 };
    for (let n = 0; n < 32; n++) {
      const dir = pick(fixtures);
      const input = parse(readFileSync(fixture(`render/${dir}/input.yaml`), 'utf8')) as {
        config: { spec: { cluster: { certificateAuthority: string }; kubelet?: { config?: Record<string, unknown>; flags?: string[] }; containerd?: unknown } };
        facts: { instance: Record<string, unknown> };
      };
      const spec = input.config.spec;
      if (spec.cluster.certificateAuthority === '@test-ca') spec.cluster.certificateAuthority = ca.certBase64;
      const changed: string[] = [];
      for (let i = 1 + Math.floor(random() * 3); i > 0; i--) {
        const r = random();
        spec.kubelet ??= {};
        if (r < 0.7) {
          const name = pick(Object.keys(kubeletFields));
          spec.kubelet.config ??= {};
          spec.kubelet.config[name] = ofKind(kubeletFields[name]!);
          changed.push(`kubelet.config.${name}: ${JSON.stringify(spec.kubelet.config[name])}`);
        } else if (r < 0.9) {
          spec.kubelet.flags = [...(spec.kubelet.flags ?? []), pick(FLAGS)];
          changed.push(`flag ${spec.kubelet.flags.at(-1)}`);
        } else {
          spec.containerd = pick(CONTAINERD);
          changed.push(`containerd ${JSON.stringify(spec.containerd)}`);
        }
      }
      const what = `${dir} with ${changed.join(', ')}`;
      const source = fileUri(write(`walk-${n}.yaml`, stringify(input.config)));
      const facts = write(`walk-${n}.facts.json`, JSON.stringify({ ...FACTS, ...input.facts.instance }));
      const check = await runAgent(['config', 'check', '-c', source]);
      const render = await runAgent([
        'render',
        '-c',
        source,
        '--instance',
        facts,
        '--instance-types',
        write('types.jsonl', TABLE),
        '--out',
        join(tmp, 'walk', String(n)),
      ]);
      expect(`${check.stderr}${render.stderr}`, what).not.toMatch(/internal|\n\s+at /);
      const warnings = render.stdout
        .split('\n')
        .filter((l) => l.startsWith('warning '))
        .map((l) => l.slice('warning '.length));
      verdicts[check.exitCode === 0 ? 'passed' : render.exitCode === 0 ? 'advisory' : 'refused']++;
      if (check.exitCode === 0) {
        expect(render.exitCode, `${what}: ${render.stderr}`).toBe(0);
        for (const w of check.stdout.split('\n').filter((l) => l.startsWith('warning: '))) expect(warnings, what).toContain(w.slice('warning: '.length));
      } else if (render.exitCode === 0) {
        expect(check.exitCode, what).toBe(1);
        expect(errors(check.stderr).length, what).toBeGreaterThan(0);
        for (const e of errors(check.stderr)) expect(warnings, what).toContain(e);
      } else {
        expect([check.exitCode, render.exitCode], what).toEqual([1, 1]);
        expect(errors(render.stderr), what).toEqual(errors(check.stderr));
      }
    }
    // the walk reaches all three verdicts, or it proves less than it says
    expect(verdicts.passed).toBeGreaterThan(3);
    expect(verdicts.refused).toBeGreaterThan(3);
  }, 120_000);
});

describe('the numbered disagreements, each settled', () => {
  const ud = (text: string) => fileUri(write(`ud-${Math.random().toString(36).slice(2)}.yaml`, text));
  const complete = readFileSync(fixture('userdata/complete.yaml'), 'utf8');
  /** `config check`, then `render` on the test's m5.large into a fresh directory. */
  const checkAndRender = async (source: string) => {
    const check = await runAgent(['config', 'check', '-c', source]);
    const out = mkdtempSync(join(tmp, 'out-'));
    const facts = write(`facts-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(FACTS));
    const render = await runAgent(['render', '-c', source, '--instance', facts, '--instance-types', write('types.jsonl', TABLE), '--out', out]);
    return { check, render, out };
  };

  it('config check refuses a flag with a space, a socket unit key and one unit named twice', async () => {
    for (const f of ['flag-space', 'env-key-socket', 'env-key-twice']) {
      const r = await runAgent(['config', 'check', '-c', fileUri(fixture(`bad/${f}.yaml`))]);
      expect(r.exitCode, f).toBe(1);
      expect(r.stdout).toBe('');
    }
  });

  it('keeps a TOML float a float when two documents merge', async () => {
    const a = `${complete}  containerd:\n    config: |\n      [plugins."io.containerd.grpc.v1.cri"]\n      x = 1.0\n`;
    const b =
      'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  containerd:\n    config: |\n      [plugins."io.containerd.grpc.v1.cri"]\n      y = 2.0\n';
    const r = await runAgent(['config', 'dump', '-c', ud(a), '-c', ud(b), '--output', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const toml = (JSON.parse(r.stdout) as { spec: { containerd: { config: string } } }).spec.containerd.config;
    expect(toml).toMatch(/x = 1\.0\b/);
    expect(toml).toMatch(/y = 2\.0\b/);
  });

  it('accepts a maxPodsExpression that fails only on some instance types, and falls back at boot', async () => {
    const { check, render, out } = await checkAndRender(ud(`${complete.replace('  kubelet:\n', '  kubelet:\n    maxPodsExpression: "max_pods - 30"\n')}`));
    expect(check.exitCode, check.stderr).toBe(0);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/warning spec\.kubelet\.maxPodsExpression: "max_pods - 30" gives -1 on this instance .*; using the ENI formula \(29\)/);
    expect(JSON.parse(readFileSync(join(out, 'etc/kubernetes/kubelet/config.json'), 'utf8')).maxPods).toBe(29);
  });

  it('warns alike in config check and render when the kubelet alone gets a proxy, and writes it for the kubelet alone', async () => {
    const { check, render, out } = await checkAndRender(
      ud(`${complete}  instance:\n    environment:\n      kubelet:\n        HTTPS_PROXY: http://proxy.corp:3128\n`),
    );
    expect(check.exitCode, check.stderr).toBe(0);
    const line = check.stdout.split('\n').find((l) => l.startsWith('warning: spec.instance.environment.kubelet.HTTPS_PROXY: '));
    expect(line, check.stdout).toContain("containerd, which pulls the node's images, gets no HTTPS_PROXY");
    expect(check.stdout).toMatch(
      /^containerd: pulls the cluster's add-on images \(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\) directly, as its environment names no HTTPS_PROXY$/m,
    );
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(`warning ${line!.slice('warning: '.length)}`);
    expect(readFileSync(join(out, 'etc/systemd/system/kubelet.service.d/environment.conf'), 'utf8')).toContain('HTTPS_PROXY=http://proxy.corp:3128');
  });

  it('calls a proxy URL Go reads otherwise an error in config check and a warning of the same words in render', async () => {
    const { check, render } = await checkAndRender(
      ud(`${complete}  instance:\n    environment:\n      default:\n        HTTPS_PROXY: "http//proxy.corp:3128"\n`),
    );
    expect(check.exitCode).toBe(1);
    const [error] = errors(check.stderr);
    expect(error).toMatch(/^spec\.instance\.environment\.default\.HTTPS_PROXY: has a path or query after the host, .* requests go to the host "http"/);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(`warning ${error}`);
  });

  it('warns alike in config check and render when a --max-pods flag overrides kubelet.config.maxPods', async () => {
    const { check, render, out } = await checkAndRender(
      ud(
        complete
          .replace('  kubelet:\n    config:\n', '  kubelet:\n    config:\n      maxPods: 58\n')
          .replace('    flags:\n', '    flags:\n      - --max-pods=110\n'),
      ),
    );
    expect(check.exitCode, check.stderr).toBe(0);
    const line =
      'spec.kubelet.flags[0]: "--max-pods=110" overrides spec.kubelet.config.maxPods (58): the kubelet takes a flag over its config, so max pods is 110, and the memory reserved for the kubelet follows it';
    expect(check.stdout.split('\n')).toContain(`warning: ${line}`);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(`warning ${line}`);
    const config = JSON.parse(readFileSync(join(out, 'etc/kubernetes/kubelet/config.json'), 'utf8'));
    expect(config.maxPods).toBe(110);
    expect(config.kubeReserved.memory).toBe('1465Mi');
  });

  it('gives the Static memory manager its reservedMemory: config check says what it must total, render writes or judges it', async () => {
    const staticPolicy = complete.replace('  kubelet:\n    config:\n', '  kubelet:\n    config:\n      memoryManagerPolicy: Static\n');
    const written = await checkAndRender(ud(staticPolicy));
    expect(written.check.exitCode, written.check.stderr).toBe(0);
    expect(written.check.stdout).toMatch(/^memory manager: Static; the agent writes reservedMemory for each instance, on NUMA node 0: /m);
    expect(written.render.exitCode, written.render.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(written.out, 'etc/kubernetes/kubelet/config.json'), 'utf8'));
    // m5.large: 29 pods, 255 + 11 x 29 = 574Mi for the kubelet, and the 100Mi hard threshold
    expect(config.reservedMemory).toEqual([{ numaNode: 0, limits: { memory: '674Mi' } }]);
    const own = await checkAndRender(
      ud(
        staticPolicy.replace(
          '      memoryManagerPolicy: Static\n',
          '      memoryManagerPolicy: Static\n      reservedMemory:\n        - numaNode: 0\n          limits:\n            memory: 1Gi\n',
        ),
      ),
    );
    expect(own.check.exitCode, own.check.stderr).toBe(0);
    expect(own.check.stdout).toMatch(/^memory manager: Static with your reservedMemory, which must total on each instance /m);
    expect(own.render.stdout).toMatch(
      /^warning spec\.kubelet\.config\.reservedMemory: reserves 1Gi of memory in all, but node allocatable reserves 674Mi on this instance/m,
    );
  });

  it('warns alike in config check and render when a flag renames the node, which EKS would refuse', async () => {
    const { check, render } = await checkAndRender(ud(complete.replace('    flags:\n', '    flags:\n      - --hostname-override=worker-1\n')));
    expect(check.exitCode, check.stderr).toBe(0);
    const line = check.stdout.split('\n').find((l) => l.startsWith('warning: spec.kubelet.flags[0]: "--hostname-override=worker-1" replaces the node name'));
    expect(line, check.stdout).toMatch(/EKS lets the node role register only that name, so the API server may refuse the Node \(forbidden\)$/);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(`warning ${line!.slice('warning: '.length)}`);
  });

  it('warns alike in config check and render when --kube-reserved or --eviction-hard flags drop what the agent sets', async () => {
    const flags = '    flags:\n      - --kube-reserved=cpu=250m\n      - --eviction-hard=memory.available<500Mi\n';
    const { check, render, out } = await checkAndRender(ud(complete.replace('    flags:\n', flags)));
    expect(check.exitCode, check.stderr).toBe(0);
    const lines = check.stdout.split('\n');
    const reserved = lines.find((l) => l.startsWith('warning: spec.kubelet.flags[0]: "--kube-reserved=cpu=250m" replaces the kubeReserved'));
    expect(reserved, check.stdout).toMatch(/reserves no ephemeral-storage, memory for itself and containerd/);
    const eviction = lines.find((l) => l.startsWith('warning: spec.kubelet.flags[1]: "--eviction-hard=memory.available<500Mi" replaces the evictionHard'));
    expect(eviction, check.stdout).toMatch(/no hard threshold for nodefs\.available, nodefs\.inodesFree and evicts no pod for them/);
    expect(render.exitCode, render.stderr).toBe(0);
    for (const line of [reserved!, eviction!]) expect(render.stdout.split('\n')).toContain(`warning ${line.slice('warning: '.length)}`);
    // the config keeps the agent's figures; it is the kubelet that lets the flags replace them
    const config = JSON.parse(readFileSync(join(out, 'etc/kubernetes/kubelet/config.json'), 'utf8'));
    expect(config.kubeReserved.memory).toMatch(/^\d+Mi$/);
    expect(Object.keys(config.evictionHard)).toEqual(['memory.available', 'nodefs.available', 'nodefs.inodesFree']);
  });

  it('names the file and line of a malformed --instance-types table, exit 1', async () => {
    const bad = write('bad-types.jsonl', '{"instanceType":"m5.large", oops\n');
    const r = await runAgent([
      'render',
      '-c',
      fileUri(fixture('userdata/complete.yaml')),
      '--instance',
      write('f2.json', JSON.stringify(FACTS)),
      '--instance-types',
      bad,
      '--out',
      join(tmp, 'o5'),
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: --instance-types ${bad}: line 1: not JSON`));
    expect(r.stderr).not.toContain('internal');
  });

  it('render without -c refuses instead of reading IMDS', async () => {
    const r = await runAgent(['render', '--instance', write('f3.json', JSON.stringify(FACTS)), '--out', join(tmp, 'o6')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: render: option '-c, --config-source <uri>' is required/);
  });

  it('treats an empty apiServerEndpoint as not set and says so', async () => {
    const r = await runAgent([
      'config',
      'check',
      '-c',
      ud('apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: demo\n    apiServerEndpoint:\n'),
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: .*spec\.cluster\.apiServerEndpoint: null, treated as not set/);
    expect(r.stdout).toContain('will fetch with eks:DescribeCluster: spec.cluster.apiServerEndpoint');
  });

  it('validates EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS', async () => {
    const r = await runAgent(['config', 'check'], { env: { EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS: 'soon' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS: "soon" is not a number of seconds between 0 and 3600 (expected e.g. "60")\n');
  });
});
