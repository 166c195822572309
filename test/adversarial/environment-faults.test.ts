import { afterEach, describe, expect, it } from 'vitest';
import { hostileServer, oneErrorLine, runBounded } from './support.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('misbehaving IMDS', () => {
  it('a refused session token (404) is an environment failure named at once, not "no user data" a minute later', async () => {
    const imds = await hostileServer((_req, res) => {
      res.writeHead(404).end('not found');
    });
    close = imds.close;
    const r = await runBounded(['config', 'check'], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
    expect(r.exitCode).toBe(2);
    expect(oneErrorLine(r.stderr)).toMatch(/api\/token: the session token was refused \(HTTP 404\)/);
    expect(r.stderr).not.toMatch(/no user data/);
    expect(r.ms).toBeLessThan(15_000);
    expect(imds.hits.filter((h) => h.startsWith('PUT'))).toHaveLength(1);
  });
});
