import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConfigPhase, applyRunPhase } from '../../src/apply/phases.js';
import { createSystemctl } from '../../src/apply/systemctl.js';
import { render } from '../../src/render/index.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from '../render/fixtures.js';
import { loadCel } from '../../src/api/cel.js';

// render compiles maxPodsExpression synchronously; the CLI loads CEL first, as these tests do
beforeAll(loadCel);

// The real renderer, writer and execa systemctl against the repository's systemctl TEST DOUBLE.
const DOUBLE = resolve(import.meta.dirname, '../../../test/doubles/systemctl');

let ca: TestCert;
let root: string;
beforeAll(async () => {
  ca = await createTestCa();
  root = await mkdtemp(join(tmpdir(), 'eks-node-init-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('render, then config phase and run phase', () => {
  it('writes the node, restarts containerd then kubelet, and does nothing on a second identical init', async () => {
    const log = join(root, 'systemctl.log');
    const systemctl = createSystemctl({
      command: DOUBLE,
      env: { ...process.env, SYSTEMCTL_DOUBLE_LOG: log, SYSTEMCTL_DOUBLE_STATE: join(root, 'units') },
    });
    const config = baseConfig(ca.certBase64, { instance: { environment: { kubelet: { HTTPS_PROXY: 'http://proxy:3128' } } } });
    const plan = render(config, baseFacts());

    const first = await applyConfigPhase(plan, { root });
    expect(first.changed).toHaveLength(plan.files.length);
    expect(await readFile(join(root, 'etc/kubernetes/pki/ca.crt'), 'utf8')).toBe(ca.certPem);
    expect((await stat(join(root, 'var/lib/kubelet/kubeconfig'))).mode & 0o777).toBe(0o600);
    const run = await applyRunPhase(undefined, { root, systemctl, pollIntervalMs: 10 });
    expect(run.timings.filter((t) => !t.skipped).map((t) => t.step)).toEqual([
      'daemon-reload',
      'restart containerd.service',
      'wait containerd.service active',
      'restart kubelet.service',
    ]);

    const before = await readFile(log, 'utf8');
    const again = await applyConfigPhase(render(config, baseFacts()), { root });
    expect(again.changed).toEqual([]);
    const rerun = await applyRunPhase(undefined, { root, systemctl });
    expect(rerun.timings.every((t) => t.skipped)).toBe(true);
    const calls = (await readFile(log, 'utf8')).slice(before.length).trim().split('\n');
    expect(calls).toEqual(['is-active containerd.service', 'is-active kubelet.service']);
  });
});
