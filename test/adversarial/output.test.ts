import { describe, expect, it } from 'vitest';
import { fileUri, fixture } from '../support/agent.js';
import { oneErrorLine, runBounded } from './support.js';

describe('stdout that cannot be written', () => {
  it('a full device is one line and exit 2, without the bundle source or a stack trace', async () => {
    const r = await runBounded(['config', 'dump', '-c', fileUri(fixture('userdata/karpenter.mime'))], { stdout: '/dev/full' });
    expect(r.exitCode).toBe(2);
    expect(oneErrorLine(r.stderr)).toBe('error: writing to stdout: ENOSPC: no space left on device, write');
    expect(r.stderr.length).toBeLessThan(200);
    expect(r.ms).toBeLessThan(15_000);
  });
});
