import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TEST_CLUSTER_CA_BASE64 } from '../emulators/eks.js';
import { startEc2 } from '../emulators/ec2.js';
import { startEks } from '../emulators/eks.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { startImds } from '../emulators/imds.js';
import { REPO, buildInto, describeRun, runExe, snapshotBundle, type Built, type Run } from './build.js';

/*
 * The shipped executables (issue 4): reproducible, self-contained, and the arm64 one behaves
 * exactly like the x64 one. Fixtures are discovered when the file is collected, so every
 * user-data and render fixture the project has is run on both architectures.
 */

const PKG_VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const USERDATA_DIR = join(REPO, 'test/fixtures/userdata');
const RENDER_DIR = join(REPO, 'test/fixtures/render');
const userDataFixtures = readdirSync(USERDATA_DIR).sort();
const renderFixtures = readdirSync(RENDER_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

let first: Built;
let second: Built;
/** the bundle both builds were made from (a copy: dist/ may be rebuilt meanwhile) */
let bundle = '';
const scratch = mkdtempSync(join(tmpdir(), 'eks-node-exe-test-'));

beforeAll(async () => {
  // Two independent builds of the same bundle: the second one is the reproducibility check.
  bundle = snapshotBundle(scratch);
  first = await buildInto('a', bundle);
  second = await buildInto('b', bundle);
}, 300_000);

afterAll(() => {
  for (const dir of [first?.dir, second?.dir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('build', () => {
  it('gives byte-identical executables when built twice from the same bundle', () => {
    for (const arch of ['x64', 'arm64'] as const) {
      expect(sha256(second.exe[arch]), arch).toBe(sha256(first.exe[arch]));
      expect(second.sha256[arch], arch).toBe(first.sha256[arch]);
    }
  });

  it('writes a sha256sum-compatible checksum beside each executable', async () => {
    for (const arch of ['x64', 'arm64'] as const) {
      expect(first.sha256[arch]).toBe(`${sha256(first.exe[arch])}  eks-node-agent-linux-${arch}\n`);
    }
    const check = await execa('sha256sum', ['-c', 'eks-node-agent-linux-x64.sha256', 'eks-node-agent-linux-arm64.sha256'], {
      cwd: first.dir,
      reject: false,
    });
    expect(check.exitCode, String(check.stdout) + String(check.stderr)).toBe(0);
  });

  it('makes executables for the right machines, stripped of debug symbols', async () => {
    const header = (file: string) => execa('readelf', ['-h', '-S', '-W', file]).then((r) => String(r.stdout));
    const x64 = await header(first.exe.x64);
    const arm64 = await header(first.exe.arm64);
    expect(x64).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    expect(arm64).toMatch(/Machine:\s+AArch64/);
    for (const h of [x64, arm64]) expect(h).not.toMatch(/\.debug_info|\.symtab/);
    expect(statSync(first.exe.x64).mode & 0o777).toBe(0o755);
  });
});

/** The layout the build wrote into an executable (scripts/sea/build-sea.mjs): where each asset sits in the file. */
function layoutOf(exe: Buffer): { at: number; places: Record<string, [number, number]> } {
  const at = exe.indexOf('{"main.cjs":[');
  expect(at, 'layout.json in the executable').toBeGreaterThan(0);
  expect(exe.indexOf('{"main.cjs":[', at + 1), 'one layout').toBe(-1);
  return { at, places: JSON.parse(exe.subarray(at, at + 4096).toString('latin1')) as Record<string, [number, number]> };
}

/** A copy of `exe` whose layout says `places`, written executable to `name` in the scratch directory. */
function withLayout(exe: Buffer, at: number, places: Record<string, [number, number]>, name: string): string {
  const text = Buffer.from(JSON.stringify(places).padEnd(4096));
  expect(text.length).toBe(4096);
  const out = Buffer.from(exe);
  text.copy(out, at);
  const file = join(scratch, name);
  writeFileSync(file, out, { mode: 0o755 });
  return file;
}

describe('assets', () => {
  it('are read from the executable file where its layout says, and mapped from the blob when that read fails', async () => {
    const exe = readFileSync(first.exe.x64);
    const { at, places } = layoutOf(exe);
    expect(Object.keys(places)).toEqual(
      expect.arrayContaining(['main.cjs', 'main.cjs.cache', 'boot.cache', 'eks-node-agent.aws.cjs', 'eks-node-agent.aws.cjs.cache']),
    );
    for (const [name, [offset, length]] of Object.entries(places)) {
      if (!name.endsWith('.cjs')) continue;
      expect(exe.subarray(offset, offset + 16).toString('latin1'), name).toBe('(function (expor');
      // ASCII, so the loader decodes it with one copy (latin1) rather than two (UTF-8)
      expect(isAscii(exe.subarray(offset, offset + length)), `${name} is ASCII`).toBe(true);
    }
    const version = async (file: string) => runExe({ ...first, exe: { ...first.exe, x64: file } }, 'x64', ['version']);

    // main.cjs broken in the blob (a syntax error if compiled), whole at the end of the file,
    // where the layout now points: only a loader that reads by the layout runs.
    const [mainAt, mainLength] = places['main.cjs'] as [number, number];
    const moved = Buffer.concat([exe, exe.subarray(mainAt, mainAt + mainLength)]);
    moved.fill('!', mainAt, mainAt + mainLength);
    const read = await version(withLayout(moved, at, { ...places, 'main.cjs': [exe.length, mainLength] }, 'read-by-layout'));
    expect(read.exitCode, describeRun(['version'], read)).toBe(0);
    expect(read.stdout).toContain(PKG_VERSION);
    expect(read.stderr).toBe('');

    // main.cjs's place holding something else (the ELF header): no script there, so the blob serves it
    const elsewhere = await version(withLayout(exe, at, { ...places, 'main.cjs': [0, mainLength] }, 'layout-elsewhere'));
    expect(elsewhere.exitCode, describeRun(['version'], elsewhere)).toBe(0);
    expect(elsewhere.stdout).toBe(read.stdout);

    // every place beyond the end of the file: each read fails, and the blob serves them all
    const beyond = Object.fromEntries(Object.entries(places).map(([name, [, length]]) => [name, [exe.length + 1, length] as [number, number]]));
    const mapped = await version(withLayout(exe, at, beyond, 'layout-beyond-eof'));
    expect(mapped.exitCode, describeRun(['version'], mapped)).toBe(0);
    expect(mapped.stdout).toBe(read.stdout);
    expect(mapped.stderr).toBe('');
  });
});

describe('version', () => {
  it('x64 prints the package version and nothing on stderr', async () => {
    const r = await runExe(first, 'x64', ['version'], { cwd: scratch });
    expect(r.exitCode, describeRun(['version'], r)).toBe(0);
    expect(r.stdout).toContain(PKG_VERSION);
    expect(r.stdout.endsWith('\n')).toBe(true);
    // Catches both the SEA experimental warning and "Code cache data rejected".
    expect(r.stderr).toBe('');
  });

  it("x64 runs with its two V8 flags, a 1 MB semi-space and scavenges on one thread (scripts/sea/README.md), outside V8's flag hash", async () => {
    const probe = join(scratch, 'exec-argv.cjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write(JSON.stringify(process.execArgv)));\n");
    const r = await runExe(first, 'x64', ['version'], { env: { NODE_OPTIONS: `--require ${probe}` } });
    expect(r.exitCode, describeRun(['version'], r)).toBe(0);
    // no "code cache ... rejected" before it: the flags left both caches valid
    expect(r.stderr).toBe('["--max-semi-space-size=1","--no-parallel-scavenge"]');
  });

  it('arm64 under qemu prints the same, but for its architecture, with its code cache accepted', async () => {
    const x64 = await runExe(first, 'x64', ['version']);
    const arm64 = await runExe(first, 'arm64', ['version']);
    expect(arm64.exitCode, describeRun(['version'], arm64)).toBe(0);
    expect(arm64.stderr).toBe('');
    expect(arm64.stdout).toBe(x64.stdout.replaceAll('x64', 'arm64'));
    expect(arm64.stdout).not.toBe(x64.stdout);
  });
});

/** exit code, stdout and stderr: what a user or systemd sees. */
function comparable(r: Run): Run {
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

describe('config check', () => {
  it.each(userDataFixtures)('%s: same result on x64, arm64 and the JS bundle', async (name) => {
    const args = ['config', 'check', '-c', `file://${join(USERDATA_DIR, name)}`];
    const [x64, arm64, js] = await Promise.all([
      runExe(first, 'x64', args),
      runExe(first, 'arm64', args),
      execa(process.execPath, [bundle, ...args], { reject: false, stripFinalNewline: false }),
    ]);
    // Exit 1 is a legitimate answer for a fixture that holds no NodeConfig; anything else
    // (2: environment, a signal, a crash) means the command itself failed.
    expect([0, 1], describeRun(args, x64)).toContain(x64.exitCode);
    if (x64.exitCode === 1) expect(x64.stderr, describeRun(args, x64)).toMatch(/^error: /);
    expect(comparable(arm64)).toEqual(comparable(x64));
    expect({ exitCode: js.exitCode, stdout: String(js.stdout), stderr: String(js.stderr) }).toEqual(comparable(x64));
  });

  it('accepts the complete user data fixtures', async () => {
    for (const name of userDataFixtures.filter((n) => n.startsWith('complete') || n === 'karpenter.mime')) {
      const args = ['config', 'check', '-c', `file://${join(USERDATA_DIR, name)}`];
      const r = await runExe(first, 'x64', args);
      expect(r.exitCode, describeRun(args, r)).toBe(0);
    }
  });
});

/** Every file under `dir` as relative path -> mode and sha256. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[relative(dir, p)] = `${(statSync(p).mode & 0o7777).toString(8)} ${sha256(p)}`;
  }
  return out;
}

/**
 * A render fixture's CLI inputs. The render golden cases hold {config, facts} in input.yaml
 * (agent/test/render/golden.ts); the CA placeholder gets the test cluster CA.
 */
function renderInputs(name: string): { config: string; instance: string } {
  const dir = join(RENDER_DIR, name);
  const input = parse(readFileSync(join(dir, 'input.yaml'), 'utf8')) as {
    config: { spec?: { cluster?: { certificateAuthority?: string } } };
    facts: { instance: unknown };
  };
  const cluster = input.config.spec?.cluster;
  if (cluster?.certificateAuthority === '@test-ca') cluster.certificateAuthority = TEST_CLUSTER_CA_BASE64;
  const work = join(scratch, 'render-in', name);
  mkdirSync(work, { recursive: true });
  const config = join(work, 'config.json');
  const instance = join(work, 'facts.json');
  writeFileSync(config, `${JSON.stringify(input.config, null, 2)}\n`);
  writeFileSync(instance, `${JSON.stringify(input.facts.instance, null, 2)}\n`);
  return { config, instance };
}

describe('render', () => {
  it('has fixtures to run', () => {
    expect(renderFixtures.length).toBeGreaterThan(0);
  });

  it.each(renderFixtures)('%s: x64 and arm64 write the same files', async (name) => {
    const { config, instance } = renderInputs(name);
    const results: Record<string, { run: Run; files: Record<string, string> }> = {};
    await Promise.all(
      (['x64', 'arm64'] as const).map(async (arch) => {
        const out = join(scratch, 'render-out', arch, name);
        mkdirSync(out, { recursive: true });
        const args = ['render', '-c', `file://${config}`, '--instance', instance, '--out', out];
        const run = await runExe(first, arch, args);
        expect(run.exitCode, `${arch}: ${describeRun(args, run)}`).toBe(0);
        results[arch] = { run: comparable(run), files: tree(out) };
      }),
    );
    expect(Object.keys(results.x64?.files ?? {}).length, 'render wrote no files').toBeGreaterThan(0);
    // Output paths differ only by the arch directory; normalise before comparing.
    const norm = (r: Run, arch: string): Run => ({
      ...r,
      stdout: r.stdout.replaceAll(join(scratch, 'render-out', arch), 'OUT'),
      stderr: r.stderr.replaceAll(join(scratch, 'render-out', arch), 'OUT'),
    });
    expect(norm(results.arm64!.run, 'arm64')).toEqual(norm(results.x64!.run, 'x64'));
    expect(results.arm64!.files).toEqual(results.x64!.files);
  });
});

/** A new node's root as the image bakes it (the layout test/support/node.ts uses). */
function nodeRoot(label: string): string {
  const dir = join(scratch, 'init-root', label);
  const files: Record<string, string> = {
    'etc/eks/kubelet-version.txt': 'v1.33.1\n',
    'etc/eks/containerd-version.txt': '1.7.27\n',
    'etc/eks/instance-types.jsonl': readFileSync(join(REPO, 'test/fixtures/instance-types.jsonl'), 'utf8'),
    'sys/devices/system/cpu/online': '0-1\n',
    'proc/meminfo': 'MemTotal:        7910616 kB\nMemFree:         7000000 kB\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('init (the boot path, which runs with the trained boot code cache)', () => {
  it.each(['karpenter.mime', 'complete.yaml'].filter((n) => userDataFixtures.includes(n)))(
    '%s: x64 and arm64 write the same files and accept their code cache',
    async (name) => {
      const imds = await startImds({ userData: readFileSync(join(USERDATA_DIR, name)) });
      try {
        const results = await Promise.all(
          (['x64', 'arm64'] as const).map(async (arch) => {
            const root = nodeRoot(`${arch}-${name}`);
            const before = new Set(Object.keys(tree(root)));
            const args = ['init', '--skip', 'run', '--root', root];
            const run = await runExe(first, arch, args, {
              env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' },
            });
            expect(run.exitCode, `${arch}: ${describeRun(args, run)}`).toBe(0);
            expect(run.stderr, arch).not.toMatch(/code cache|warning/i);
            const written = Object.fromEntries(Object.entries(tree(root)).filter(([p]) => !before.has(p)));
            return written;
          }),
        );
        const [x64, arm64] = results as [Record<string, string>, Record<string, string>];
        expect(Object.keys(x64)).toContain('etc/kubernetes/kubelet/config.json');
        expect(arm64).toEqual(x64);
      } finally {
        await imds.close();
      }
    },
  );
});

describe('chunks (the AWS SDK, CEL, execa and the proxy agent, kept out of the main bundle and loaded on first use)', () => {
  it('x64 and arm64 load each chunk from the executable: eks:DescribeCluster and ec2:DescribeInstanceTypes through a proxy, a maxPodsExpression, `containerd --version`', async () => {
    const proxy = await startConnectProxy();
    const userData = [
      'apiVersion: node.eks.aws/v1alpha1',
      'kind: NodeConfig',
      'spec:',
      '  cluster:',
      '    name: demo',
      '  kubelet:',
      '    maxPodsExpression: "default_enis * (ips_per_eni - 1) + 2 - 7"',
      '  instance:',
      '    environment:',
      '      default:',
      `        HTTP_PROXY: ${proxy.url}`,
      // as a proxied node must, or the kubelet's credential helpers ask IMDS through the proxy (a warning)
      '        NO_PROXY: 169.254.169.254',
      '',
    ].join('\n');
    // an instance type newer than the image's table: its ENI limits come from EC2 (the aws-ec2 chunk)
    const imds = await startImds({ userData: Buffer.from(userData), instance: { instanceType: 'm99i.large' } });
    const eks = await startEks({ clusters: { demo: {} } });
    const ec2 = await startEc2();
    // A `containerd` that only answers --version: the image records no containerd version here.
    const bin = join(scratch, 'chunk-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'containerd'), '#!/bin/sh\necho "containerd github.com/containerd/containerd 1.7.27 abc"\n', { mode: 0o755 });
    try {
      const results = await Promise.all(
        (['x64', 'arm64'] as const).map(async (arch) => {
          const root = nodeRoot(`${arch}-chunks`);
          rmSync(join(root, 'etc/eks/containerd-version.txt'));
          const args = ['init', '--skip', 'run', '--root', root];
          const run = await runExe(first, arch, args, {
            env: {
              PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
              AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
              AWS_ENDPOINT_URL_EKS: eks.url,
              AWS_ENDPOINT_URL_EC2: ec2.url,
              AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
              AWS_SECRET_ACCESS_KEY: 'example',
            },
          });
          expect(run.exitCode, `${arch}: ${describeRun(args, run)}`).toBe(0);
          expect(run.stderr, arch).not.toMatch(/code cache|warning/i);
          return JSON.parse(readFileSync(join(root, 'etc/kubernetes/kubelet/config.json'), 'utf8')) as Record<string, unknown>;
        }),
      );
      const [x64, arm64] = results as [Record<string, unknown>, Record<string, unknown>];
      // m99i.large from DescribeInstanceTypes: 3 * (10 - 1) + 2 - 7 = 22, through CEL; the cluster DNS from DescribeCluster's CIDR
      expect(x64.maxPods).toBe(22);
      expect(x64.clusterDNS).toEqual(['10.100.0.10']);
      expect(arm64).toEqual(x64);
      expect(eks.requests.length).toBe(2);
      expect(ec2.requests.map((q) => q.action)).toEqual(['DescribeInstanceTypes', 'DescribeInstanceTypes']);
      expect(proxy.requests.map((q) => q.target).sort()).toEqual(
        [`127.0.0.1:${ec2.port}`, `127.0.0.1:${ec2.port}`, `127.0.0.1:${eks.port}`, `127.0.0.1:${eks.port}`].sort(),
      );
    } finally {
      await Promise.all([imds.close(), eks.close(), ec2.close(), proxy.close()]);
    }
  }, 120_000);
});
