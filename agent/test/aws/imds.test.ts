import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
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

  it('with refusalsBeforeGivingUp (doctor), ends the wait after that many refused connections in a row, naming the refusal', async () => {
    imds = await startImds();
    const url = imds.url;
    await imds.close();
    imds = undefined;
    const retried: string[] = [];
    const started = Date.now();
    const client = createImds({ endpoint: url, totalTimeoutMs: 60_000, refusalsBeforeGivingUp: 3, onRetry: (e) => retried.push(e.message) });
    const err = await failure(client.get('dynamic/instance-identity/document'));
    // three refusals take 0.3 s of backoff; the 60 s deadline is far off
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(err.message).toBe(
      `IMDS ${url}/latest/dynamic/instance-identity/document: the connection was refused 3 times in a row (ECONNREFUSED): nothing answers there, or a firewall rejects it`,
    );
    expect(retried).toHaveLength(3);
  });

  /** A loopback URL on which nothing listens: a connection there is refused at once. */
  async function closedUrl(): Promise<string> {
    const probe = await startImds();
    await probe.close();
    return probe.url;
  }

  /**
   * An endpoint without a route, as 169.254.169.254 is on an instance without IPv4: Linux fails a
   * TCP connect to a multicast address with ENETUNREACH at once, whatever the machine's routes.
   */
  const NO_ROUTE = 'http://224.0.0.1';

  it('with a fallback endpoint (an instance without IPv4): no route sends the request there, which then serves the run, said once', async () => {
    imds = await startImds({ userData: 'from the fallback' });
    const switched: string[] = [];
    const client = createImds({
      endpoint: NO_ROUTE,
      fallbackEndpoint: imds.url,
      onFallback: (to, why) => switched.push(`${to} ${(why as NodeJS.ErrnoException).code}`),
    });
    expect((await client.getBytesOptional('user-data'))?.toString()).toBe('from the fallback');
    expect(await client.get('meta-data/instance-type')).toBe('m5.large');
    expect(switched).toEqual([`${imds.url} ENETUNREACH`]);
    // one token, from the fallback; the kept answers stay under the endpoint the environment names
    expect(imds.count('/latest/api/token')).toBe(1);
    expect(client.endpoint).toBe(NO_ROUTE);
    // from now on errors name the endpoint that serves
    expect((await failure(client.get('meta-data/nope'))).message).toBe(`IMDS ${imds.url}/latest/meta-data/nope: not found (404)`);
  });

  it('with a fallback endpoint: one that answers is never left, and one that refuses or hangs is not traded for it', async () => {
    imds = await startImds();
    const fallback = await startImds();
    try {
      const client = createImds({ endpoint: imds.url, fallbackEndpoint: fallback.url });
      expect(await client.get('meta-data/instance-type')).toBe('m5.large');
      // a refusal is doctor's finding (a firewall's REJECT), not a missing family
      const refusing = createImds({ endpoint: await closedUrl(), fallbackEndpoint: fallback.url, refusalsBeforeGivingUp: 2 });
      expect((await failure(refusing.get('meta-data/mac'))).message).toMatch(/the connection was refused 2 times in a row \(ECONNREFUSED\): /);
      // a slow or hanging IMDS is waited for
      await imds.close();
      imds = await startImds({ down: true });
      const hanging = createImds({ endpoint: imds.url, fallbackEndpoint: fallback.url, requestTimeoutMs: 300, totalTimeoutMs: 1_000 });
      expect((await failure(hanging.get('meta-data/mac'))).message).toMatch(/no answer within 300 ms/);
      expect(fallback.requests).toEqual([]);
    } finally {
      await fallback.close();
    }
  });

  it('with a fallback endpoint that fails too: no route is counted as before and the error names both', async () => {
    const alsoRefused = await closedUrl();
    const client = createImds({ endpoint: NO_ROUTE, fallbackEndpoint: alsoRefused, totalTimeoutMs: 60_000, refusalsBeforeGivingUp: 2 });
    const err = await failure(client.get('dynamic/instance-identity/document'));
    expect(err.message).toBe(
      `IMDS ${NO_ROUTE}/latest/dynamic/instance-identity/document: the connection found no route 2 times in a row (ENETUNREACH; ${alsoRefused}: connect ECONNREFUSED ${new URL(alsoRefused).host}): nothing answers there, or a firewall rejects it`,
    );
  });

  it('fails within its deadlines when IMDS accepts but never answers', async () => {
    imds = await startImds({ down: true });
    const started = Date.now();
    const err = await failure(createImds({ endpoint: imds.url, requestTimeoutMs: 300, totalTimeoutMs: 1_000 }).get('meta-data/mac'));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.message).toMatch(/meta-data\/mac: no usable answer .*no answer within 300 ms/);
  });
});

describe('createImds on a busy process', () => {
  it('keeps an answer that arrived while the process was busy past the request timeout', async () => {
    // An IMDS of our own in this process: it answers the first GET, then keeps the process busy
    // (as loading the AWS chunk does while a request is out) longer than the request timeout,
    // so the client's timer is overdue when the answer is read.
    let gets = 0;
    const server = createServer((req, res) => {
      if (req.method === 'PUT') return void res.end('token');
      gets++;
      res.end('02:00:00:00:00:01');
      if (gets === 1) {
        const until = Date.now() + 500;
        while (Date.now() < until) {
          // busy, as a synchronous chunk load is
        }
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const retries: string[] = [];
      const client = createImds({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 200, onRetry: (err) => retries.push(err.message) });
      expect(await client.get('meta-data/mac')).toBe('02:00:00:00:00:01');
      expect(retries).toEqual([]);
      expect(gets).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps waiting for an answer when the process was busy before the request even connected', async () => {
    imds = await startImds();
    const client = createImds({ endpoint: imds.url, requestTimeoutMs: 200, onRetry: (err) => retries.push(err.message) });
    const retries: string[] = [];
    await client.get('meta-data/mac'); // the token, so the next get is one request
    const connect = net.connect;
    const spy = vi.spyOn(net, 'connect').mockImplementationOnce(((...args: Parameters<typeof net.connect>) => {
      const socket = connect(...args);
      const until = Date.now() + 500; // busy before the connection is made, as a chunk load is
      while (Date.now() < until) {
        // busy
      }
      return socket;
    }) as typeof net.connect);
    try {
      expect(await client.get('meta-data/local-ipv4')).toBe('10.0.1.23');
    } finally {
      spy.mockRestore();
    }
    expect(retries).toEqual([]);
    expect(imds.count('/latest/meta-data/local-ipv4')).toBe(1);
  });
});

/** A server writing raw bytes: each request's head (up to the blank line) goes to `answer`. */
async function rawServer(answer: (head: string, socket: net.Socket) => void, host = '127.0.0.1') {
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      const end = seen.indexOf('\r\n\r\n');
      if (end >= 0 && heads.length < 100) {
        const head = seen.slice(0, end);
        seen = '';
        heads.push(head);
        answer(head, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    heads,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
const isToken = (head: string) => head.startsWith('PUT /latest/api/token ');

describe('createImds reading HTTP itself', () => {
  it('reads a chunked answer and one that ends with the connection, and sends a well-formed request', async () => {
    const server = await rawServer((head, socket) => {
      if (isToken(head)) return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ntoken');
      if (head.includes('/user-data ')) {
        return void socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n#!/bin\r\n3\r\n/sh\r\n0\r\n\r\n');
      }
      socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n0e:12:34:56:78:9a');
    });
    try {
      const client = createImds({ endpoint: server.url });
      expect(await client.get('user-data')).toBe('#!/bin/sh');
      expect(await client.get('meta-data/mac')).toBe('0e:12:34:56:78:9a');
      const host = server.url.slice('http://'.length);
      expect(server.heads).toEqual([
        `PUT /latest/api/token HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600`,
        `GET /latest/user-data HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-aws-ec2-metadata-token: token`,
        `GET /latest/meta-data/mac HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-aws-ec2-metadata-token: token`,
      ]);
    } finally {
      await server.close();
    }
  });

  it('reaches an IMDS at an IPv6 address, as on an IPv6-only subnet', async () => {
    const server = await rawServer((head, socket) => {
      socket.end(isToken(head) ? 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nt' : 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nm5.large');
    }, '::1');
    try {
      expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect(await createImds({ endpoint: server.url }).get('meta-data/instance-type')).toBe('m5.large');
      expect(server.heads[1]).toContain(`\r\nHost: ${server.url.slice('http://'.length)}\r\n`);
    } finally {
      await server.close();
    }
  });

  it('retries an answer cut short or not HTTP, and says so when it never comes whole', async () => {
    let gets = 0;
    const server = await rawServer((head, socket) => {
      if (isToken(head)) return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ntoken');
      gets++;
      socket.end(gets % 2 ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part' : 'SSH-2.0-OpenSSH_9.2\r\n\r\n');
    });
    try {
      const retries: string[] = [];
      const err = await failure(createImds({ endpoint: server.url, totalTimeoutMs: 600, onRetry: (e) => retries.push(e.message) }).get('meta-data/mac'));
      expect(err.message).toMatch(/^IMDS http:\/\/127\.0\.0\.1:\d+\/latest\/meta-data\/mac: no usable answer within 1s \(.+\)$/);
      expect(retries[0]).toMatch(/^the connection closed before the answer was complete/);
      expect(retries[1]).toMatch(/^not an HTTP answer/);
      expect(gets).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('refuses, without asking, a path that would change the request line', async () => {
    const server = await rawServer((_head, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ntoken'));
    try {
      const err = await failure(createImds({ endpoint: server.url }).get('meta-data/mac HTTP/1.1\r\nX-Injected: 1'));
      expect(err.message).toMatch(/meta-data\/mac HTTP\/1\.1\r\nX-Injected: 1: the request would carry characters HTTP does not allow in a path or header$/);
      expect(server.heads.map((h) => h.split(' ', 2).join(' '))).toEqual(['PUT /latest/api/token']); // the token, and no GET
    } finally {
      await server.close();
    }
  });
});
