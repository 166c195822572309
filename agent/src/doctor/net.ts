import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { deadline } from '../common/deadline.js';
import { type SocksReason, isSocksProxy, remoteNameSocks, socksRefusalOf } from '../aws/proxy.js';

/**
 * The network steps of reaching the API server, one at a time, so a failure names the layer:
 * TCP connect, TLS handshake against the cluster CA, then HTTPS requests. Each has a deadline
 * (common/deadline.ts: one the doctor's own busy moments cannot make it miss).
 */

export interface Endpoint {
  host: string;
  port: number;
  /** the URL as given, without a trailing slash */
  url: string;
}

/** An endpoint as "host:port" (an IPv6 address in brackets): what a CONNECT asks for, and how messages name it. */
export function hostPort(endpoint: Pick<Endpoint, 'host' | 'port'>): string {
  return `${net.isIPv6(endpoint.host) ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

export function parseEndpoint(url: string): Endpoint {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: u.port ? Number(u.port) : 443, url: url.replace(/\/+$/, '') };
}

export class StepTimeout extends Error {
  override name = 'StepTimeout';
}

/**
 * The proxy a Go program (the kubelet) sends its requests to the endpoint through: HTTP, or SOCKS5
 * as Go takes it. Shown without the credentials its URL may hold.
 */
export interface HttpProxy {
  url: string;
  /** `http:`, `https:`, `socks5:` or `socks5h:` */
  protocol: string;
  host: string;
  port: number;
  /** host:port, for messages */
  shown: string;
  /** where it was read: `HTTPS_PROXY in the kubelet's environment` */
  from: string;
  /** the CIDR entries of the NO_PROXY beside it, which Go matches against an address in the URL only, never a name's */
  noProxyCidrs?: string[];
  /** set by the dns line: a sentence on such a CIDR holding the endpoint's address */
  bypassMissed?: string;
  /**
   * An `https://` proxy's certificate is verified as the kubelet (Go) verifies it: against the
   * system's CA bundle, or SSL_CERT_FILE's, and the certificate directories (checks/endpoint.ts
   * systemRoots), not the roots Node bundles. Undefined when doctor found none to read (the roots
   * Node bundles serve then).
   */
  roots?: { pem: string; from: string };
}

export function parseProxy(url: string, from: string): HttpProxy {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // Go's default ports for a proxy URL without one: 80 for http, 443 for https, 1080 for SOCKS5
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : isSocksProxy(url) ? 1080 : 80;
  return { url, protocol: u.protocol, host, port, shown: hostPort({ host, port }), from };
}

/** The proxy answered CONNECT with something other than 200. */
export class ProxyRefusal extends Error {
  override name = 'ProxyRefusal';
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`${status} ${statusText}`.trim());
  }
}

/**
 * A SOCKS5 proxy (socks5://, socks5h://) that opened no connection onward: `reason` from its reply
 * (RFC 1928: 2, not allowed by its rules; 3 to 6, the target unreachable or refusing), or from the
 * credentials step (RFC 1929) or the methods it would take.
 */
export class SocksRefusal extends Error {
  override name = 'SocksRefusal';
  constructor(
    readonly reason: SocksReason,
    message: string,
  ) {
    super(message);
  }
}

/** The SOCKS client's error as doctor tells it: a refusal with its reason, a timeout, or the error itself. */
function socksFailure(err: unknown, timeoutMs: number, target: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/timed out/i.test(message)) return new StepTimeout(`no SOCKS connection to ${target} within ${timeoutMs} ms`);
  const refusal = socksRefusalOf(err);
  if (refusal) return new SocksRefusal(refusal.reason, refusal.words);
  return err instanceof Error ? err : new Error(message);
}

/**
 * A connection through a SOCKS5 proxy (dialled at `address`) to the endpoint, as Go opens one: the
 * endpoint's name is sent for the proxy to resolve (socks5:// and socks5h:// alike), with the
 * URL's user and password when it has them.
 */
async function socksTunnel(proxy: HttpProxy, address: string, endpoint: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  const target = hostPort(endpoint);
  // the SOCKS client is loaded only for a node behind a SOCKS proxy (its own chunk)
  const { SocksClient } = await import('socks');
  const u = new URL(proxy.url);
  const credentials = u.username ? { userId: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {};
  const opening = SocksClient.createConnection({
    proxy: { host: address, port: proxy.port, type: 5, ...credentials },
    command: 'connect',
    destination: { host: endpoint.host, port: endpoint.port },
    timeout: timeoutMs,
  });
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new StepTimeout('aborted'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  // an abort after the connection opened rejects nothing anyone waits for
  aborted.catch(() => undefined);
  try {
    return (await Promise.race([opening, aborted])).socket;
  } catch (err) {
    // a connection that opens after the run gave up is let go
    opening.then(({ socket }) => socket.destroy()).catch(() => undefined);
    throw socksFailure(err, timeoutMs, target);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The TLS options of a connection to an `https://` proxy: its certificate must name the proxy's
 * host (not the endpoint the CONNECT asks for, which Node's agent would take from the Host
 * header) and chain to the roots the kubelet trusts.
 */
function proxyTls(proxy: HttpProxy): tls.ConnectionOptions {
  return {
    // no SNI for an address, as Go sends none
    servername: net.isIP(proxy.host) ? '' : proxy.host,
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(proxy.host, cert),
    ...(proxy.roots ? { ca: proxy.roots.pem } : {}),
  };
}

/**
 * A tunnel through the proxy (dialled at `address`) to the endpoint, as a Go client opens one:
 * CONNECT host:port, with the URL's credentials as Basic Proxy-Authorization.
 */
export function proxyTunnel(proxy: HttpProxy, address: string, endpoint: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  if (isSocksProxy(proxy.url)) return socksTunnel(proxy, address, endpoint, timeoutMs, signal);
  const target = hostPort(endpoint);
  const u = new URL(proxy.url);
  const credentials = u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
  return new Promise((resolve, reject) => {
    const options = {
      host: address,
      port: proxy.port,
      method: 'CONNECT',
      path: target,
      agent: false as const,
      headers: { Host: target, ...(credentials ? { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` } : {}) },
      ...(proxy.protocol === 'https:' ? proxyTls(proxy) : {}),
    };
    const req = proxy.protocol === 'https:' ? https.request(options) : http.request(options);
    let settled = false;
    const done = (err?: Error, socket?: net.Socket): void => {
      if (settled) {
        socket?.destroy();
        return;
      }
      settled = true;
      timer.clear();
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(socket!);
    };
    const onAbort = (): void => done(new StepTimeout('aborted'));
    const timer = deadline(timeoutMs, () => done(new StepTimeout(`no answer to CONNECT ${target} within ${timeoutMs} ms`)));
    signal?.addEventListener('abort', onAbort);
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) done(undefined, socket);
      else {
        socket.destroy();
        done(new ProxyRefusal(res.statusCode ?? 0, res.statusMessage ?? ''));
      }
    });
    // a proxy that answers CONNECT as a plain request (no tunnel): its status is the refusal
    req.once('response', (res) => {
      res.resume();
      done(new ProxyRefusal(res.statusCode ?? 0, res.statusMessage ?? ''));
    });
    req.once('error', (err) => done(err));
    req.end();
  });
}

/**
 * One step on a socket, bounded by its deadline and the run's signal: `wire` settles it from the
 * socket's events, an error settles it too, and whichever comes first wins; the socket is let go.
 */
function socketStep<T>(
  socket: net.Socket,
  timeoutMs: number,
  timeoutMessage: string,
  signal: AbortSignal | undefined,
  wire: (settle: (err: Error | undefined, value?: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, value?: T): void => {
      timer.clear();
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = (): void => done(new StepTimeout('aborted'));
    const timer = deadline(timeoutMs, () => done(new StepTimeout(timeoutMessage)));
    signal?.addEventListener('abort', onAbort);
    socket.once('error', (err) => done(err));
    wire(done);
  });
}

/**
 * Whether what listens at address:port completes a TLS handshake (its certificate not judged):
 * asked of a proxy that an http:// URL names when it would not take a plain CONNECT.
 */
export function speaksTls(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const socket = tls.connect({ host: address, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  return socketStep<boolean>(socket, timeoutMs, `no TLS handshake within ${timeoutMs} ms`, signal, (settle) =>
    socket.once('secureConnect', () => settle(undefined, true)),
  ).catch(() => false);
}

/**
 * What kind of proxy listens at address:port, from its answer to a SOCKS5 greeting: a SOCKS5
 * proxy answers with version 5; an HTTP proxy reads the bytes as a bad request and answers with
 * its status line. Undefined for anything else (a TLS server, a socket closed without a word, no
 * answer in time).
 */
export function proxyKind(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<'socks5' | 'http' | undefined> {
  const socket = net.connect({ host: address, port });
  let answer = Buffer.alloc(0);
  return socketStep<'socks5' | 'http' | undefined>(socket, timeoutMs, `no answer within ${timeoutMs} ms`, signal, (settle) => {
    // no authentication, GSSAPI or a user name and password: the methods a SOCKS5 proxy picks from
    socket.once('connect', () => socket.write(Buffer.from([0x05, 0x03, 0x00, 0x01, 0x02])));
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer[0] === 0x05 && answer.length >= 2) settle(undefined, 'socks5');
      else if (answer.length >= 5) settle(undefined, answer.subarray(0, 5).toString('latin1') === 'HTTP/' ? 'http' : undefined);
    });
    socket.once('end', () => settle(undefined, undefined));
  }).catch(() => undefined);
}

export function tcpConnect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  const socket = net.connect({ host: address, port });
  return socketStep<number>(socket, timeoutMs, `no TCP connection within ${timeoutMs} ms`, signal, (settle) =>
    socket.once('connect', () => settle(undefined, Date.now() - started)),
  );
}

export interface PeerCertificate {
  subject: string;
  issuer: string;
  validTo: string;
}

/**
 * A TLS handshake that verifies the server against `caPem` only (not the system trust store;
 * undefined: the roots Node bundles), dialling `address`, or over `tunnel` (a proxy's, which the
 * handshake then owns).
 */
export function tlsHandshake(
  endpoint: Endpoint,
  address: string,
  caPem: string | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
  tunnel?: net.Socket,
): Promise<PeerCertificate> {
  const socket = tls.connect({
    ...(tunnel ? { socket: tunnel } : { host: address, port: endpoint.port }),
    ...(caPem === undefined ? {} : { ca: caPem }),
    // SNI and the name check use the endpoint's host even though we dial the resolved address.
    ...(net.isIP(endpoint.host) ? {} : { servername: endpoint.host }),
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(endpoint.host, cert),
    ALPNProtocols: ['http/1.1'],
  });
  return socketStep<PeerCertificate>(socket, timeoutMs, `no TLS handshake within ${timeoutMs} ms`, signal, (settle) =>
    socket.once('secureConnect', () => {
      const c = socket.getPeerCertificate();
      settle(undefined, { subject: dn(c.subject), issuer: dn(c.issuer), validTo: c.valid_to });
    }),
  );
}

function dn(name: object | undefined): string {
  if (!name) return '';
  return Object.entries(name as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

export interface ApiAnswer {
  status: number;
  /** the Date header, if any */
  date?: string;
  body: string;
}

export interface ApiRequest {
  endpoint: Endpoint;
  caPem: string;
  method: 'GET' | 'POST';
  path: string;
  token?: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** the proxy the kubelet reaches the endpoint through */
  proxy?: HttpProxy;
}

/** One HTTPS request to the API server, verified against the cluster CA, through the kubelet's proxy if it has one. */
export async function apiRequest(req: ApiRequest): Promise<ApiAnswer> {
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  // the proxy library is loaded only for a node behind a proxy (its own chunk, as for init's AWS calls)
  const agent = !req.proxy
    ? false
    : isSocksProxy(req.proxy.url)
      ? new (await import('socks-proxy-agent')).SocksProxyAgent(remoteNameSocks(req.proxy.url))
      : new (await import('https-proxy-agent')).HttpsProxyAgent(req.proxy.url, req.proxy.roots ? { ca: req.proxy.roots.pem } : {});
  return new Promise((resolve, reject) => {
    const r = https.request(
      `${req.endpoint.url}${req.path}`,
      {
        method: req.method,
        ca: req.caPem,
        agent,
        headers: {
          Accept: 'application/json',
          'User-Agent': 'eks-node-agent-doctor',
          ...(req.token ? { Authorization: `Bearer ${req.token}` } : {}),
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          timer.clear();
          const date = res.headers.date;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(date ? { date } : {}) });
        });
        res.on('error', reject);
      },
    );
    const timer = deadline(req.timeoutMs, () => r.destroy(new StepTimeout(`no answer to ${req.method} ${req.path} within ${req.timeoutMs} ms`)));
    req.signal?.addEventListener('abort', () => r.destroy(new StepTimeout('aborted')), { once: true });
    r.on('error', (err) => {
      timer.clear();
      reject(err);
    });
    r.end(payload);
  });
}
