import { afterEach, describe, expect, it } from 'vitest';
import { createImds } from '../../src/aws/imds.js';
import { failure } from './failure.js';
import { startImds, type ImdsEmulator } from '../../../test/emulators/imds.js';

// The lead's IMDSv2 client against the IMDS emulator: the early-boot promises of issue 2.

let imds: ImdsEmulator | undefined;
afterEach(async () => {
  await imds?.close();
  imds = undefined;
});

describe('createImds against the emulator', () => {
  it('takes one token for many requests', async () => {
    imds = await startImds({ userData: 'x' });
    const client = createImds({ endpoint: imds.url });
    await Promise.all([client.get('meta-data/mac'), client.get('meta-data/local-ipv4'), client.get('meta-data/instance-id')]);
    await client.get('dynamic/instance-identity/document');
    expect(imds.count('/latest/api/token')).toBe(1);
    expect(imds.requests.filter((r) => r.method === 'GET').every((r) => r.status === 200)).toBe(true);
  });

  it('takes a fresh token once when the old one is refused (401)', async () => {
    imds = await startImds();
    const client = createImds({ endpoint: imds.url });
    expect(await client.get('meta-data/instance-type')).toBe('m5.large');
    imds.revokeTokens();
    expect(await client.get('meta-data/instance-type')).toBe('m5.large');
    expect(imds.count('/latest/api/token')).toBe(2);
    expect(imds.requests.map((r) => r.status)).toEqual([200, 200, 401, 200, 200]);
  });

  it('gives user data bytes unchanged, and undefined when there is none', async () => {
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00]);
    imds = await startImds({ userData: gz });
    const client = createImds({ endpoint: imds.url });
    expect(await client.getBytesOptional('user-data')).toEqual(gz);
    imds.setUserData(undefined);
    expect(await client.getBytesOptional('user-data')).toBeUndefined();
    expect(await client.getOptional('meta-data/network/interfaces/macs/0e:12:34:56:78:9a/ipv6s')).toBeUndefined();
  });

  it('says which path is not found by get()', async () => {
    imds = await startImds();
    const err = await failure(createImds({ endpoint: imds.url }).get('meta-data/nope'));
    expect(err.message).toBe(`IMDS ${imds.url}/latest/meta-data/nope: not found (404)`);
  });

  it('still succeeds when IMDS starts listening ~3 s late (early boot)', async () => {
    imds = await startImds({ startDelayMs: 3_000, userData: 'late' });
    const client = createImds({ endpoint: imds.url, totalTimeoutMs: 15_000 });
    const started = Date.now();
    expect((await client.getBytesOptional('user-data'))?.toString()).toBe('late');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(6_000);
  });

  it('fails with a clear error after totalTimeoutMs when nothing listens', async () => {
    imds = await startImds();
    const url = imds.url;
    await imds.close();
    imds = undefined;
    const started = Date.now();
    const err = await failure(createImds({ endpoint: url, totalTimeoutMs: 1_500 }).get('user-data'));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(4_000);
    expect(err.message).toMatch(new RegExp(`^IMDS ${url}/latest/user-data: no usable answer within [0-9.]+ ?m?s \\(.*ECONNREFUSED`));
  });

  it('fails within its deadlines when IMDS accepts but never answers', async () => {
    imds = await startImds({ down: true });
    const started = Date.now();
    const err = await failure(createImds({ endpoint: imds.url, requestTimeoutMs: 300, totalTimeoutMs: 1_000 }).get('meta-data/mac'));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.message).toMatch(/meta-data\/mac: no usable answer .*no answer within 300 ms/);
  });
});
