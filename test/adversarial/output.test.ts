import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseFacts } from '../../agent/test/render/fixtures.js';
import { fileUri, fixture, runAgent } from '../support/agent.js';
import { startNode } from '../support/node.js';
import { completeCluster, nodeConfig, oneErrorLine, runBounded } from './support.js';

describe('stdout that cannot be written', () => {
  it('a full device is one line and exit 2, without the bundle source or a stack trace', async () => {
    const r = await runBounded(['config', 'dump', '-c', fileUri(fixture('userdata/karpenter.mime'))], { stdout: '/dev/full' });
    expect(r.exitCode).toBe(2);
    expect(oneErrorLine(r.stderr)).toBe('error: writing to stdout: ENOSPC: no space left on device, write');
    expect(r.stderr.length).toBeLessThan(200);
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe('text from user data that would forge a line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-adv-output-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // a YAML key may be any string, and the unknown-field message names it
  const key = 'evil\neks-node-agent: done in 1 ms\u001b[31m';
  const userData = nodeConfig({ cluster: completeCluster, [key]: 1 } as never);
  const escaped = 'spec.evil\\neks-node-agent: done in 1 ms\\u001b[31m: unknown field';

  it('config check, render and init print it escaped, on the one line that names it', async () => {
    const source = join(dir, 'forge.yaml');
    writeFileSync(source, userData);
    const check = await runAgent(['config', 'check', '-c', fileUri(source)]);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toBe(`error: ${fileUri(source)}: ${escaped}\n`);

    const facts = join(dir, 'facts.json');
    writeFileSync(facts, JSON.stringify(baseFacts().instance));
    const render = await runAgent(['render', '-c', fileUri(source), '--instance', facts, '--out', join(dir, 'out')]);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(`warning ${fileUri(source)}: ${escaped}`);

    const node = await startNode({ imds: { userData } });
    try {
      const init = await node.agent(['init', '--root', node.root, '--skip', 'run']);
      expect(init.exitCode, init.stderr).toBe(0);
      const lines = init.stderr.trimEnd().split('\n');
      expect(lines).toContain(`eks-node-agent: warning: imds://user-data: ${escaped}`);
      // every line is the agent's own: none begins inside the key
      expect(lines.every((l) => l.startsWith('eks-node-agent: '))).toBe(true);
      expect(lines.filter((l) => l.startsWith('eks-node-agent: done in '))).toHaveLength(1);
      expect(init.stderr).not.toContain('\u001b');
    } finally {
      await node.close();
    }
  });
});
