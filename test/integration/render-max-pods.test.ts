import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseFacts } from '../../agent/test/render/fixtures.js';
import { fileUri, fixture, runAgent } from '../support/agent.js';

// `render` on a machine that is not a node (no /etc/eks/instance-types.jsonl, no AWS) gives the
// max pods the node would get, from the table built into the agent.
const tmp = mkdtempSync(join(tmpdir(), 'eks-node-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function facts(instanceType: string): string {
  const path = join(tmp, `${instanceType}.json`);
  writeFileSync(path, JSON.stringify(baseFacts({ instanceType }).instance));
  return path;
}

async function render(instanceType: string, config = fileUri(fixture('userdata/complete.yaml'))) {
  const out = mkdtempSync(join(tmp, 'out-'));
  const r = await runAgent(['render', '-c', config, '--instance', facts(instanceType), '--out', out], {
    env: { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  const kubelet = JSON.parse(readFileSync(join(out, 'etc/kubernetes/kubelet/config.json'), 'utf8')) as { maxPods: number; kubeReserved: { memory: string } };
  return { r, kubelet };
}

describe('render max pods offline', () => {
  it.each([
    ['m5.large', 29, '574Mi'],
    ['c6g.medium', 8, '343Mi'],
  ])('gives %s %i pods without --instance-types and without a warning', async (type, pods, memory) => {
    const { r, kubelet } = await render(type);
    expect(kubelet.maxPods).toBe(pods);
    expect(kubelet.kubeReserved.memory).toBe(memory);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/warning/i);
  });

  it('falls back to 110 with exactly one warning for a type no table knows', async () => {
    const { r, kubelet } = await render('m99i.large');
    expect(kubelet.maxPods).toBe(110);
    const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /warning/i.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('m99i.large');
  });

  it('warns about nothing when maxPods is explicit', async () => {
    const text = readFileSync(fixture('userdata/complete.yaml'), 'utf8').replace('shutdownGracePeriod: 30s', 'shutdownGracePeriod: 30s\n      maxPods: 17');
    expect(text).toContain('maxPods: 17');
    const path = join(tmp, 'explicit.yaml');
    writeFileSync(path, text);
    const { r, kubelet } = await render('m99i.large', fileUri(path));
    expect(kubelet.maxPods).toBe(17);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/warning/i);
  });

  it('renders with a warning, not an error, for a KubeletConfiguration field it does not know', async () => {
    const text = readFileSync(fixture('userdata/complete.yaml'), 'utf8').replace('shutdownGracePeriod: 30s', 'shutdownGracePeriod: 30s\n      maxPod: 17');
    const path = join(tmp, 'unknown-field.yaml');
    writeFileSync(path, text);
    const { r, kubelet } = await render('m5.large', fileUri(path));
    expect(kubelet.maxPods).toBe(29);
    expect(`${r.stdout}${r.stderr}`).toMatch(/warning.*spec.kubelet.config.maxPod: unknown KubeletConfiguration field \(did you mean "maxPods"\?\)/);
  });
});
