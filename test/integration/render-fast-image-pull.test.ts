import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseFacts } from '../../agent/test/render/fixtures.js';
import { fileUri, fixture, runAgent } from '../support/agent.js';

// FastImagePull through the executable: the facts file says whether the image has the SOCI
// snapshotter; left out, render looks on this machine, which has none.
const tmp = mkdtempSync(join(tmpdir(), 'eks-node-render-soci-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const userData = join(tmp, 'fast.yaml');
writeFileSync(userData, readFileSync(fixture('userdata/complete.yaml'), 'utf8').replace(/^spec:\n/m, 'spec:\n  featureGates:\n    FastImagePull: true\n'));

async function render(facts: Record<string, unknown>) {
  const file = join(tmp, `facts-${Object.keys(facts).length}-${String(facts.sociSnapshotter)}.json`);
  writeFileSync(file, JSON.stringify({ ...baseFacts({ instanceType: 'm5.xlarge', cpuMillicores: 4000, memoryMiB: 15_600 }).instance, ...facts }));
  const out = mkdtempSync(join(tmp, 'out-'));
  const r = await runAgent(['render', '-c', fileUri(userData), '--instance', file, '--out', out]);
  expect(r.exitCode, r.stderr).toBe(0);
  return { r, out, warnings: r.stdout.split('\n').filter((l) => l.startsWith('warning ')) };
}

describe('render with FastImagePull', () => {
  it('writes the SOCI configuration when the facts file says the image has the snapshotter', async () => {
    const { out, warnings } = await render({ sociSnapshotter: true });
    expect(warnings).toEqual([]);
    expect(readFileSync(join(out, 'etc/containerd/config.toml'), 'utf8')).toContain('snapshotter = "soci"');
    expect(existsSync(join(out, 'etc/soci-snapshotter-grpc/config.toml'))).toBe(true);
    expect(readFileSync(join(out, 'etc/systemd/system/containerd.service.d/20-eks-node-soci.conf'), 'utf8')).toContain('Requires=soci-snapshotter.service');
    expect(JSON.parse(readFileSync(join(out, 'etc/kubernetes/kubelet/config.json'), 'utf8')).imageServiceEndpoint).toBe(
      'unix:///run/soci-snapshotter-grpc/soci-snapshotter-grpc.sock',
    );
  });

  it.each([
    ['says it has none', { sociSnapshotter: false }],
    ['is silent (this machine has none)', {}],
  ])('warns and writes nothing of SOCI when the facts file %s', async (_, facts) => {
    const { out, warnings } = await render(facts);
    expect(warnings).toEqual([
      'warning spec.featureGates.FastImagePull: not taken: this image has no SOCI snapshotter (/usr/bin/soci-snapshotter-grpc): images are pulled as without the gate',
    ]);
    expect(readFileSync(join(out, 'etc/containerd/config.toml'), 'utf8')).not.toContain('soci');
    expect(existsSync(join(out, 'etc/soci-snapshotter-grpc'))).toBe(false);
  });

  it('config check notes the conditions it cannot decide, and stays valid', async () => {
    const r = await runAgent(['config', 'check', '-c', fileUri(userData)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^note: spec\.featureGates\.FastImagePull: images are pulled through the SOCI snapshotter .* whose image has it; elsewhere init says why/m,
    );
  });

  it('refuses a sociSnapshotter that is not true or false, naming it', async () => {
    const file = join(tmp, 'bad-facts.json');
    writeFileSync(file, JSON.stringify({ ...baseFacts().instance, sociSnapshotter: 'yes' }));
    const r = await runAgent(['render', '-c', fileUri(userData), '--instance', file, '--out', join(tmp, 'bad-out')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--instance .*bad-facts\.json: sociSnapshotter: "yes" is not /);
  });
});
