import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { deadline } from '../common/deadline.js';

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

export function parseEndpoint(url: string): Endpoint {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: u.port ? Number(u.port) : 443, url: url.replace(/\/+$/, '') };
}

export class StepTimeout extends Error {
  override name = 'StepTimeout';
}

export function tcpConnect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const done = (err?: Error): void => {
      timer.clear();
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(Date.now() - started);
    };
    const onAbort = (): void => done(new StepTimeout('aborted'));
    const timer = deadline(timeoutMs, () => done(new StepTimeout(`no TCP connection within ${timeoutMs} ms`)));
    signal?.addEventListener('abort', onAbort);
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}

export interface PeerCertificate {
  subject: string;
  issuer: string;
  validTo: string;
}

/** A TLS handshake that verifies the server against `caPem` only (not the system trust store). */
export function tlsHandshake(endpoint: Endpoint, address: string, caPem: string, timeoutMs: number, signal?: AbortSignal): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port: endpoint.port,
      ca: caPem,
      // SNI and the name check use the endpoint's host even though we dial the resolved address.
      ...(net.isIP(endpoint.host) ? {} : { servername: endpoint.host }),
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(endpoint.host, cert),
      ALPNProtocols: ['http/1.1'],
    });
    const done = (err?: Error, cert?: PeerCertificate): void => {
      timer.clear();
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(cert!);
    };
    const onAbort = (): void => done(new StepTimeout('aborted'));
    const timer = deadline(timeoutMs, () => done(new StepTimeout(`no TLS handshake within ${timeoutMs} ms`)));
    signal?.addEventListener('abort', onAbort);
    socket.once('secureConnect', () => {
      const c = socket.getPeerCertificate();
      done(undefined, { subject: dn(c.subject), issuer: dn(c.issuer), validTo: c.valid_to });
    });
    socket.once('error', (err) => done(err));
  });
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
}

/** One HTTPS request to the API server, verified against the cluster CA. */
export function apiRequest(req: ApiRequest): Promise<ApiAnswer> {
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  return new Promise((resolve, reject) => {
    const r = https.request(
      `${req.endpoint.url}${req.path}`,
      {
        method: req.method,
        ca: req.caPem,
        agent: false,
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
