import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { listen } from '../emulators/listen.js';

/**
 * A loopback HTTP proxy TEST DOUBLE for a corporate proxy: it tunnels CONNECT requests to the
 * target and records each one, so a test sees which of the agent's connections went through it.
 * Plain (absolute-URI) requests are refused with 405 and recorded too: the agent must tunnel.
 * `hosts` maps target names to the addresses the proxy dials (its own DNS, which a private
 * endpoint's name may need), or to "address:port" (IPv6 in brackets) to send the tunnel to
 * another port too; `refuse` makes it answer every CONNECT with a status instead, as a proxy
 * whose allowlist lacks the target (403) or that wants credentials (407). With `tls` it
 * speaks TLS to its clients (an `https://` proxy URL), with that certificate.
 */
export interface ProxyRequest {
  method: string;
  /** "host:port" for CONNECT, the URL otherwise */
  target: string;
  /** the Proxy-Authorization header sent, if any */
  authorization?: string;
}

export interface ConnectProxy {
  url: string;
  port: number;
  requests: ProxyRequest[];
  /** answer every CONNECT from now on with this status line, or tunnel again (undefined) */
  refuse(status: number | undefined, text?: string): void;
  close(): Promise<void>;
}

export async function startConnectProxy(options: { hosts?: Record<string, string>; tls?: { certPem: string; keyPem: string } } = {}): Promise<ConnectProxy> {
  const requests: ProxyRequest[] = [];
  let refusal: string | undefined;
  const sockets = new Set<net.Socket>();
  const plain = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push({ method: req.method ?? '', target: req.url ?? '' });
    res.writeHead(405).end();
  };
  const server = options.tls ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, plain) : http.createServer(plain);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const auth = req.headers['proxy-authorization'];
    requests.push({ method: 'CONNECT', target, ...(auth ? { authorization: auth } : {}) });
    if (refusal !== undefined) {
      client.end(`HTTP/1.1 ${refusal}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const [name, port] = [target.slice(0, target.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(target.slice(target.lastIndexOf(':') + 1))];
    // a mapped "address:port" sends the tunnel to that port too (a name served at 443 on a loopback port)
    const mapped = options.hosts?.[name];
    const at = mapped === undefined ? undefined : /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(mapped);
    const host = at ? at[1]!.replace(/^\[|\]$/g, '') : (mapped ?? name);
    const upstream = net.connect(at ? Number(at[2]) : port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    refuse: (status, text = '') => {
      refusal = status === undefined ? undefined : `${status} ${text}`.trim();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
