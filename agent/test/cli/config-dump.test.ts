import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as check } from '../../src/cli/config-check.js';
import { run as dump } from '../../src/cli/config-dump.js';
import { InputError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'eks-node-dump-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const source = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return `file://${path}`;
};

/** runs a command with IMDS out of reach (file sources only), collecting stdout and stderr lines */
async function collect(command: typeof check | typeof dump, configSources: string[], root?: string, path?: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://imds.invalid', ...(path ? { PATH: path } : {}) };
  const options = { configSources, output: 'json', ...(root ? { root } : {}) };
  try {
    await command(
      options,
      env,
      (l) => stdout.push(l),
      (l) => stderr.push(l),
    );
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    stderr.push(...err.problems.map((p) => `error: ${p}`));
  }
  return { stdout, stderr };
}

// legacy registry mirrors: a warning in config check, in render and at boot
const MIRRORS =
  '  containerd:\n    config: |\n      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n      endpoint = ["https://mirror.example"]\n';

describe('config dump says on stderr what config check says about the config', () => {
  it('an advisory problem: an error for check, a warning for dump, same text; stdout stays the JSON dump', async () => {
    const uri = source('unknown.yaml', fixture('bad/unknown-field.yaml'));
    const c = await collect(check, [uri]);
    const d = await collect(dump, [uri]);
    const errors = c.stderr.filter((l) => l.startsWith('error: ')).map((l) => l.slice('error: '.length));
    expect(errors).toEqual([expect.stringContaining('futureField')]);
    expect(d.stderr).toEqual(errors.map((e) => `warning: ${e}`));
    expect(JSON.parse(d.stdout.join('\n')).spec.cluster.name).toBe('demo');
  });

  it('the warnings and notes check prints after "valid" reach dump through the same lines; ignored parts stay check\'s', async () => {
    const complete = fixture('userdata/complete.yaml');
    const uri = source('mirrors.yaml', `${complete.replace(/\n?$/, '\n')}${MIRRORS}`.replace('spec:\n', 'spec:\n  featureGates:\n    FastImagePull: true\n'));
    const c = await collect(check, [uri, source('empty.yaml', '')]);
    const d = await collect(dump, [uri, source('empty.yaml', '')]);
    expect(c.stdout).toContainEqual(expect.stringMatching(/^ignored: .*empty\.yaml: empty$/));
    const remarks = c.stdout.filter((l) => /^(warning|note): /.test(l));
    expect(remarks).toEqual([
      expect.stringMatching(
        /^note: spec\.featureGates\.FastImagePull: images are pulled through the SOCI snapshotter .* on instances with at least 4 vCPUs and 7 GiB of memory whose image has it; elsewhere init says why/,
      ),
      expect.stringMatching(/^warning: spec\.containerd\.config: sets registry mirrors/),
    ]);
    expect(d.stderr).toEqual(remarks);
    expect(JSON.parse(d.stdout.join('\n')).spec.featureGates).toEqual({ FastImagePull: true });
  });
});

describe("on a node, the image's kubelet version judges what a boot would warn about for it", () => {
  /** a node's root whose image recorded this kubelet version */
  const node = (version: string) => {
    const root = mkdtempSync(join(tmp, 'node-'));
    mkdirSync(join(root, 'etc/eks'), { recursive: true });
    writeFileSync(join(root, 'etc/eks/kubelet-version.txt'), `${version}\n`);
    return root;
  };
  // the complete user data, and a second document over it
  const sources = () => [
    source('complete.yaml', fixture('userdata/complete.yaml')),
    source(
      'swap.yaml',
      'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    config:\n      memorySwap:\n        swapBehavior: LimitedSwap\n',
    ),
  ];

  it('refuses in check, and warns in dump, a field whose gate this kubelet has off by default; says nothing of it off a node', async () => {
    const uri = sources();
    const c = await collect(check, uri, node('v1.29.3'));
    expect(c.stdout).toEqual([]);
    expect(c.stderr).toEqual([
      'error: spec.kubelet.config.memorySwap.swapBehavior: needs the NodeSwap feature gate, which kubelet 1.29 has off by default (on from 1.30), so this kubelet stops at start (expected featureGates: {NodeSwap: true} beside it)',
    ]);
    const d = await collect(dump, uri, node('v1.29.3'));
    expect(d.stderr).toEqual(c.stderr.map((l) => l.replace(/^error: /, 'warning: ')));
    // a kubelet that has the gate on, and a workstation with no version recorded
    const newer = await collect(check, uri, node('v1.33.1'));
    expect(newer.stderr).toEqual([]);
    expect(newer.stdout.slice(0, 2)).toEqual(['configuration is valid', "judged for this node's kubelet v1.33.1 too (/etc/eks/kubelet-version.txt)"]);
    const workstation = await collect(check, uri, mkdtempSync(join(tmp, 'workstation-')), '/usr/bin:/bin');
    expect(workstation.stderr).toEqual([]);
    expect(workstation.stdout[1]).toMatch(/^merged 2 NodeConfig document/);
  });

  it('asks the kubelet on PATH when the image records no version, as init and doctor do', async () => {
    const uri = sources();
    const image = mkdtempSync(join(tmp, 'image-without-file-'));
    // the kubelet test double, run as a process: `--version` prints KUBELET_DOUBLE_VERSION's line
    const path = `${new URL('../../../test/doubles/doctor-bin', import.meta.url).pathname}:/usr/bin:/bin`;
    const asIf = async (version: string, root: string) => {
      process.env.KUBELET_DOUBLE_VERSION = version;
      try {
        return await collect(check, uri, root, path);
      } finally {
        delete process.env.KUBELET_DOUBLE_VERSION;
      }
    };
    const c = await asIf('v1.29.3', image);
    expect(c.stderr).toEqual([
      expect.stringMatching(/^error: spec\.kubelet\.config\.memorySwap\.swapBehavior: needs the NodeSwap feature gate, which kubelet 1\.29/),
    ]);
    const newer = await asIf('v1.33.1', image);
    expect(newer.stdout.slice(0, 2)).toEqual(['configuration is valid', "judged for this node's kubelet v1.33.1 too (`kubelet --version`)"]);
    // the file wins over the binary, as at boot
    const both = await asIf('v1.29.3', node('v1.33.1'));
    expect(both.stdout[1]).toBe("judged for this node's kubelet v1.33.1 too (/etc/eks/kubelet-version.txt)");
  });
});
