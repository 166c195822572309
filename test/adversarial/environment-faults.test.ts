import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../support/node.js';
import { hostileServer, nodeConfig, oneErrorLine, runBounded } from './support.js';

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

describe('misbehaving EKS', () => {
  it.each([
    ['before any answer', 'early'],
    ['in the middle of its answer', 'mid'],
  ])('a connection dropped %s is reported as a reset with the attempt count, not as a timeout', async (_name, when) => {
    const eks = await hostileServer((_req, res) => {
      if (when === 'early') {
        res.socket?.destroy();
        return;
      }
      res.socket?.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"cluster":{"na');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const node = await startNode({ imds: { userData: nodeConfig({ cluster: { name: 'test-cluster' } }) } });
    close = async () => {
      await Promise.all([eks.close(), node.close()]);
    };
    const started = performance.now();
    const r = await node.agent(['init', '--skip', 'run', '--root', node.root], { AWS_ENDPOINT_URL_EKS: eks.url });
    expect(r.exitCode).toBe(2);
    const line = oneErrorLine(r.stderr);
    expect(line).toMatch(/eks:DescribeCluster for cluster "test-cluster" failed: connection reset by the server.*\(ECONNRESET: .*\), [2-9] attempts/);
    expect(line).not.toMatch(/no answer within/);
    expect(eks.hits.length).toBeGreaterThanOrEqual(2);
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
