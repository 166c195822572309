import net from 'node:net';
import { HTTPParser } from 'http-parser-js';
import pRetry, { AbortError } from 'p-retry';
import { EnvironmentError, describeCause } from '../errors.js';

/**
 * A small IMDSv2 client. Not @aws-sdk/ec2-metadata-service: that one fetches a new token for
 * every request, has no default timeout and sends `//latest` for `request('/latest/...')`.
 * This one takes one token per run (refreshed once on 401), bounds every request, and retries
 * connection failures with backoff so a node whose IMDS is not up yet at early boot still starts.
 *
 * It speaks HTTP/1.1 over `node:net` and reads the answer with http-parser-js rather than
 * through `node:http`: with complete user data nothing else on `init`'s path needs Node's HTTP
 * client, whose first request costs V8 compiling Node's own functions on first use, which no
 * code cache of ours can hold (measured in scripts/sea/README.md). IMDS is one fixed server on a
 * link-local address, never behind a proxy; each request is one connection (`Connection: close`).
 */
export interface Imds {
  /** GET /latest/<path>; throws EnvironmentError on 404 or when the deadline passes. */
  get(path: string): Promise<string>;
  /** Like get() but a 404 gives undefined (an optional path such as ipv6s). */
  getOptional(path: string): Promise<string | undefined>;
  /** The raw bytes (user data may be gzip); a 404 gives undefined. */
  getBytesOptional(path: string): Promise<Buffer | undefined>;
  /** the endpoint the environment names, under which answers are kept; errors name the fallback once it served */
  readonly endpoint: string;
  /** asked when `endpoint` has no route (ImdsOptions.fallbackEndpoint) */
  readonly fallbackEndpoint?: string;
  /** the fallback, once it answered in the place of `endpoint`; undefined before */
  readonly servedBy?: string;
}

export interface ImdsOptions {
  /** e.g. http://169.254.169.254 (AWS_EC2_METADATA_SERVICE_ENDPOINT) */
  endpoint: string;
  /**
   * Asked when a connection to `endpoint` finds no route (ENETUNREACH: an instance in an IPv6-only
   * subnet has no IPv4 route to IMDS); once it answers, the rest of the run asks it alone. A refused
   * connection is not traded: the family is there, and the refusal is the finding.
   */
  fallbackEndpoint?: string;
  /** Called once, when the fallback answered: the journal says which endpoint served and why. */
  onFallback?: (fallback: string, why: Error) => void;
  /** one HTTP request's deadline */
  requestTimeoutMs?: number;
  /** how long one get() keeps retrying before it gives up */
  totalTimeoutMs?: number;
  tokenTtlSeconds?: number;
  /**
   * Called after each failed attempt (refused, unreachable, timed out, an HTTP error), before
   * the next retry: off EC2 a person should hear at once why the command waits.
   */
  onRetry?: (err: Error) => void;
  /**
   * Give up after this many attempts in a row whose connection was refused or found no route
   * (a closed port, a firewall's REJECT): `doctor`'s, on a node past its boot, where that is the
   * finding. Unset (init), such failures are retried until the deadline: early in a boot IMDS may
   * not be reachable yet. A connection that hangs is waited for either way.
   */
  refusalsBeforeGivingUp?: number;
}

/** connect() errors that are an answer from the network (nothing listens, a REJECT, no route), not a slow server */
const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
/** the AWS SDKs' variable choosing IMDS's family (`IPv4`, `IPv6`) */
export const IMDS_MODE_VARIABLE = 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE';
/** the AWS SDKs' variable naming IMDS's endpoint, which wins over the mode */
export const IMDS_ENDPOINT_VARIABLE = 'AWS_EC2_METADATA_SERVICE_ENDPOINT';
/** EC2's IMDS endpoint over IPv6 (Nitro instances, with the instance's HttpProtocolIpv6 enabled) */
export const IPV6_IMDS_ENDPOINT = 'http://[fd00:ec2::254]';
const TOKEN_REFUSED = new Set([400, 403, 404, 405]);
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

interface Reply {
  status: number;
  body: Buffer;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`HTTP ${status}`);
  }
}

interface Target {
  endpoint: string;
  /** the Host header: the URL's host, brackets and port as written */
  hostHeader: string;
  /** the address a socket takes (an IPv6 address without its brackets) */
  host: string;
  port: number;
}

function targetOf(url: string): Target {
  const endpoint = url.replace(/\/+$/, '');
  const base = new URL(endpoint);
  if (base.protocol !== 'http:') {
    throw new EnvironmentError(`IMDS endpoint ${endpoint}: only http:// is supported`);
  }
  return { endpoint, hostHeader: base.host, host: base.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(base.port || 80) };
}

const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

export function createImds(options: ImdsOptions): Imds {
  const primary = targetOf(options.endpoint);
  const fallback = options.fallbackEndpoint === undefined ? undefined : targetOf(options.fallbackEndpoint);
  const endpoint = primary.endpoint;
  /** where requests go: the primary, until the fallback answered in its place */
  let current = primary;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const totalTimeoutMs = options.totalTimeoutMs ?? 60_000;
  const ttl = String(options.tokenTtlSeconds ?? 21_600);
  let token: Promise<string> | undefined;

  /**
   * One exchange with the current endpoint; no route there sends the same request to the
   * fallback, which then serves the rest of the run. When both fail, the error is the primary's
   * (its code decides retries), naming what the fallback said.
   */
  async function request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Reply> {
    const tried = current;
    try {
      return await exchange(tried, method, path, headers);
    } catch (err) {
      if (!fallback || tried === fallback || codeOf(err) !== 'ENETUNREACH') throw err;
      let reply: Reply;
      try {
        reply = await exchange(fallback, method, path, headers);
      } catch (second) {
        const also = `${fallback.endpoint}: ${(second as Error).message}`;
        throw Object.assign(new Error(`${(err as Error).message}; ${also}`), { code: codeOf(err), also });
      }
      if (current !== fallback) {
        current = fallback;
        options.onFallback?.(fallback.endpoint, err as Error);
      }
      return reply;
    }
  }

  function exchange(to: Target, method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Reply> {
    const target = `/latest/${path.replace(/^\/+/, '')}`;
    // A path or token from an answer goes into the request line or a header: anything beyond
    // visible ASCII (a space, a line break) would change the request, so it is refused.
    if (![target, ...Object.values(headers)].every((text) => VISIBLE_ASCII.test(text))) {
      return Promise.reject(
        new AbortError(new EnvironmentError(`IMDS ${to.endpoint}${target}: the request would carry characters HTTP does not allow in a path or header`)),
      );
    }
    let head = `${method} ${target} HTTP/1.1\r\nHost: ${to.hostHeader}\r\nConnection: close\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    return new Promise((resolve, reject) => {
      let progress = 0; // the exchange's events so far: connected, request sent, answer head, each chunk
      let status = 0;
      let settled = false;
      const chunks: Buffer[] = [];
      const socket = net.connect({ host: to.host, port: to.port });
      const parser = new HTTPParser(HTTPParser.RESPONSE);
      // the first outcome wins: the answer, or the first error; either ends the connection
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        outcome();
      };
      const fail = (err: Error) => settle(() => reject(err));
      parser[HTTPParser.kOnHeadersComplete] = (info) => {
        progress++;
        status = info.statusCode;
      };
      parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
        chunks.push(chunk.subarray(offset, offset + length));
      };
      parser[HTTPParser.kOnMessageComplete] = () => settle(() => resolve({ status, body: Buffer.concat(chunks) }));
      socket.once('connect', () => {
        progress++;
      });
      socket.on('data', (data: Buffer) => {
        progress++;
        const parsed = parser.execute(data);
        if (parsed instanceof Error) fail(new Error(`not an HTTP answer (${parsed.message})`));
      });
      // The server closes the connection after its answer; an answer whose length is the rest
      // of the connection ends here, anything else cut short is an error.
      socket.on('end', () => {
        const ended = parser.finish();
        fail(new Error(`the connection closed before the answer was complete${ended instanceof Error ? ` (${ended.message})` : ''}`));
      });
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('the connection closed before the answer was complete')));
      // The idle timer can fire late, after the process was busy (loading the AWS chunk while
      // this request was out): its connection or answer may then be waiting, unhandled, behind
      // the timer. The event loop handles them before the next setImmediate, so the timeout
      // holds only if nothing happened by then (anything that did re-arms the socket's timer);
      // otherwise a slow machine would throw away an answer for time it spent itself.
      socket.setTimeout(requestTimeoutMs, () => {
        const seen = progress;
        setImmediate(() => {
          if (progress === seen) fail(new Error(`no answer within ${requestTimeoutMs} ms`));
        });
      });
      socket.write(`${head}\r\n`, () => {
        progress++;
      });
    });
  }

  async function fetchToken(): Promise<string> {
    const reply = await request('PUT', 'api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': ttl });
    // A refusal is an answer, not a service still starting: waiting would only delay the same
    // refusal (403: metadata access turned off; 404/405: not an IMDSv2 token endpoint).
    if (TOKEN_REFUSED.has(reply.status)) {
      throw new AbortError(
        new EnvironmentError(
          `IMDS ${current.endpoint}/latest/api/token: the session token was refused (HTTP ${reply.status}); no metadata can be read without one`,
        ),
      );
    }
    if (reply.status !== 200 || reply.body.length === 0) throw new HttpStatusError(reply.status, 'api/token');
    return reply.body.toString('utf8');
  }

  async function attempt(path: string): Promise<Reply> {
    token ??= fetchToken();
    let current: string;
    try {
      current = await token;
    } catch (err) {
      token = undefined; // a failed token request is retried with the rest
      throw err;
    }
    let reply = await request('GET', path, { 'X-aws-ec2-metadata-token': current });
    if (reply.status === 401) {
      token = fetchToken(); // expired or revoked: one fresh token, then the answer stands
      reply = await request('GET', path, { 'X-aws-ec2-metadata-token': await token });
    }
    if (reply.status === 404) throw new AbortError(new HttpStatusError(404, path));
    if (reply.status !== 200) throw new HttpStatusError(reply.status, path);
    return reply;
  }

  async function get(path: string): Promise<Reply | undefined> {
    let refusals = 0;
    const limit = options.refusalsBeforeGivingUp;
    try {
      return await pRetry(() => attempt(path), {
        retries: 1_000,
        minTimeout: 100,
        maxTimeout: 1_000,
        factor: 2,
        randomize: false,
        maxRetryTime: totalTimeoutMs,
        onFailedAttempt: ({ error }) => {
          if (!(error instanceof AbortError)) options.onRetry?.(error);
        },
        shouldRetry: ({ error }) => {
          const code = (error as NodeJS.ErrnoException).code;
          refusals = code !== undefined && REFUSED.has(code) ? refusals + 1 : 0;
          if (limit !== undefined && refusals >= limit) {
            const how = code === 'ECONNREFUSED' ? 'was refused' : 'found no route';
            const also = (error as { also?: string }).also;
            throw new EnvironmentError(
              `IMDS ${current.endpoint}/latest/${path}: the connection ${how} ${refusals} times in a row (${code}${also ? `; ${also}` : ''}): nothing answers there, or a firewall rejects it`,
            );
          }
          return true;
        },
      });
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return undefined;
      if (err instanceof EnvironmentError) throw err;
      throw new EnvironmentError(
        `IMDS ${current.endpoint}/latest/${path}: no usable answer within ${Math.round(totalTimeoutMs / 1000)}s (${describeCause(err)})`,
        {
          cause: err,
        },
      );
    }
  }

  return {
    endpoint,
    ...(fallback ? { fallbackEndpoint: fallback.endpoint } : {}),
    get servedBy() {
      return current === primary ? undefined : current.endpoint;
    },
    async get(path) {
      const reply = await get(path);
      if (!reply) throw new EnvironmentError(`IMDS ${current.endpoint}/latest/${path}: not found (404)`);
      return reply.body.toString('utf8');
    },
    async getOptional(path) {
      return (await get(path))?.body.toString('utf8');
    },
    async getBytesOptional(path) {
      return (await get(path))?.body;
    },
  };
}
