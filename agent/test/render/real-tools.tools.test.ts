import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render/index.js';
import type { Plan } from '../../src/render/plan.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { caseNames, loadCase } from './golden.js';
import { loadCel } from '../../src/api/cel.js';

// render compiles maxPodsExpression synchronously; the CLI loads CEL first, as these tests do
beforeAll(loadCel);

/**
 * The rendered files read by the real programs installed here: containerd (1.6, so the
 * version 2 layout), kubectl, and systemd-analyze for unit drop-ins.
 */
let ca: TestCert;
let dir: string;
const plans = new Map<string, Plan>();

beforeAll(async () => {
  ca = await createTestCa();
  dir = await mkdtemp(join(tmpdir(), 'eks-node-tools-'));
  for (const name of caseNames()) {
    const input = loadCase(name, ca.certBase64);
    plans.set(name, render(input.config, input.facts, input.options));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content: string): Promise<string> {
  const p = join(dir, rel);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  return p;
}

function content(plan: Plan, path: string): string | undefined {
  return plan.files.find((f) => f.path === path)?.content;
}

describe('rendered files read by real tools', () => {
  it('containerd accepts every version 2 config.toml', async () => {
    let checked = 0;
    for (const [name, plan] of plans) {
      const toml = content(plan, '/etc/containerd/config.toml');
      if (!toml?.startsWith('version = 2')) continue;
      const file = await put(`${name}/config.toml`, toml);
      const { stdout } = await execa('containerd', ['--config', file, 'config', 'dump'], { timeout: 20_000 });
      expect(stdout, name).toContain('SystemdCgroup = true');
      expect(stdout, name).toMatch(/sandbox_image = ".+\/eks\/pause:3\.10"/);
      expect(stdout, name).toContain('base_runtime_spec = "/etc/containerd/base-runtime-spec.json"');
      expect(stdout, name).toMatch(/config_path = "\/etc\/containerd\/certs\.d/);
      if (name === 'fast-image-pull') {
        // the snapshotter CRI pulls through, and the proxy plugin that serves it, as containerd read them
        expect(stdout, name).toMatch(/^\s*snapshotter = "soci"$/m);
        // (containerd 1.6 here predates the proxy plugins' `exports`, and drops it from the dump)
        expect(stdout, name).toMatch(
          /\[proxy_plugins\.soci\]\n\s*address = "\/run\/soci-snapshotter-grpc\/soci-snapshotter-grpc\.sock"\n\s*type = "snapshot"\n/,
        );
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it("kubectl parses the kubeconfig (a local cluster's bootstrap kubeconfig) and sees the exec credential plugin", async () => {
    for (const [name, plan] of plans) {
      const local = loadCase(name, ca.certBase64).config.spec.cluster.enableOutpost === true;
      const path = local ? '/var/lib/kubelet/bootstrap-kubeconfig' : '/var/lib/kubelet/kubeconfig';
      const text = content(plan, path);
      expect(text, `${name}: ${path}`).toBeDefined();
      const file = await put(`${name}/kubeconfig`, text!);
      const { stdout } = await execa('kubectl', ['config', 'view', '--kubeconfig', file, '-o', 'json'], { timeout: 20_000 });
      const view = JSON.parse(stdout) as {
        clusters: Array<{ cluster: { server: string; 'certificate-authority': string } }>;
        users: Array<{ user: { exec: { command: string; args: string[]; apiVersion: string } } }>;
        'current-context': string;
      };
      const input = loadCase(name, ca.certBase64);
      const cluster = input.config.spec.cluster;
      expect(view.clusters[0]?.cluster.server, name).toBe(cluster.apiServerEndpoint);
      expect(view.clusters[0]?.cluster['certificate-authority'], name).toBe('/etc/kubernetes/pki/ca.crt');
      expect(view.users[0]?.user.exec, name).toMatchObject({
        command: 'aws-iam-authenticator',
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        args: ['token', '-i', cluster.enableOutpost ? cluster.id : cluster.name, '--region', input.facts.instance.region],
      });
      expect(view['current-context']).toBe('kubelet');
    }
  });

  it('kubectl reads every cluster name as the string it is, even ones YAML 1.1 reads as a boolean or a number', async () => {
    // valid EKS cluster names; Go's YAML (1.1) reads `on` as true and `1_000` as 1000 when plain
    const names = ['on', 'yes', 'Y', 'off', 'null', 'true', '1_000', '0777', '1e3', '123', '0x1F'];
    const [first] = caseNames();
    for (const clusterName of names) {
      const input = loadCase(first!, ca.certBase64);
      input.config.spec.cluster = { ...input.config.spec.cluster, name: clusterName, enableOutpost: false };
      const plan = render(input.config, input.facts, input.options);
      const file = await put(`names/${clusterName}/kubeconfig`, content(plan, '/var/lib/kubelet/kubeconfig') ?? '');
      const { stdout } = await execa('kubectl', ['config', 'view', '--kubeconfig', file, '-o', 'json'], { timeout: 20_000 });
      const view = JSON.parse(stdout) as { users: Array<{ user: { exec: { args: unknown[] } } }> };
      expect(view.users[0]?.user.exec.args, clusterName).toEqual(['token', '-i', clusterName, '--region', input.facts.instance.region]);
    }
  });

  it("systemd-analyze verify reports nothing for FastImagePull's containerd drop-in", async () => {
    const dropIn = plans.get('fast-image-pull')?.files.find((f) => f.path === '/etc/systemd/system/containerd.service.d/20-eks-node-soci.conf');
    expect(dropIn).toBeDefined();
    const unitDir = join(dir, 'soci-units');
    for (const unit of ['containerd.service', 'soci-snapshotter.service']) {
      await put(`soci-units/${unit}`, '[Unit]\nDescription=stand-in for the real unit\n[Service]\nExecStart=/bin/true\n');
    }
    await put('soci-units/containerd.service.d/20-eks-node-soci.conf', dropIn!.content);
    const result = await execa('systemd-analyze', ['verify', '--man=no', './containerd.service'], { cwd: unitDir, reject: false, timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    // and the command it runs after containerd starts is one the shell reads as written
    const line = dropIn!.content.match(/^ExecStartPost=\/bin\/sh -c '(.*)'$/m)?.[1];
    expect(line).toBeDefined();
    expect((await execa('sh', ['-n', '-c', line!], { reject: false })).exitCode).toBe(0);
  });

  it('systemd-analyze verify reports nothing for the unit environment drop-ins', async () => {
    const plan = plans.get('unit-environment');
    const dropIns = plan?.files.filter((f) => f.path.startsWith('/etc/systemd/system/')) ?? [];
    expect(dropIns.map((f) => f.path)).toEqual([
      '/etc/systemd/system/containerd.service.d/environment.conf',
      '/etc/systemd/system/kubelet.service.d/environment.conf',
    ]);
    for (const f of dropIns) {
      const unitDir = join(dir, 'units');
      const unit = f.path.split('/')[4]!.replace(/\.d$/, '');
      await put(`units/${unit}`, '[Unit]\nDescription=stand-in for the real unit\n[Service]\nExecStart=/bin/true\n');
      await put(`units/${unit}.d/environment.conf`, f.content);
      const result = await execa('systemd-analyze', ['verify', '--man=no', `./${unit}`], { cwd: unitDir, reject: false, timeout: 20_000 });
      expect(result.stderr, unit).toBe('');
      expect(result.exitCode, unit).toBe(0);
    }
  });
});
