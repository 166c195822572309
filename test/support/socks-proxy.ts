import net from 'node:net';
import { listen } from '../emulators/listen.js';

/**
 * A loopback SOCKS5 proxy TEST DOUBLE (RFC 1928, with RFC 1929's user name and password) for a
 * corporate SOCKS proxy: it connects each CONNECT request onward and records it, so a test sees
 * which connections went through it and under which name (a client that sends the name, as Go
 * does, lets the proxy resolve it). `hosts` maps target names to the addresses it dials (its own
 * DNS), or to "address:port" to send the connection to another port too; `refuse` answers every
 * CONNECT with a reply code instead (2: not allowed by its rules, 4: host unreachable); with
 * `credentials` it takes only that user name and password.
 */
export interface SocksRequest {
  /** "host:port" as the client sent it: a name, or an address */
  target: string;
  /** how the client gave the host: its name (ATYP 3) or an address (ATYP 1 or 4) */
  sentAs: 'name' | 'address';
  /** the user name it authenticated with, if any */
  user?: string;
}

export interface SocksProxy {
  url: string;
  port: number;
  requests: SocksRequest[];
  /** answer every CONNECT from now on with this reply code, or connect again (undefined) */
  refuse(reply: number | undefined): void;
  close(): Promise<void>;
}

/** Reads exactly n bytes from the socket's stream of chunks. */
function reader(socket: net.Socket): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let waiting: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const pump = (): void => {
    if (waiting && buffered.length >= waiting.n) {
      const { n, resolve } = waiting;
      waiting = undefined;
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(n);
      resolve(out);
    }
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    pump();
  };
  socket.on('data', onData);
  socket.on('close', () => waiting?.reject(new Error('closed')));
  return (n) =>
    new Promise((resolve, reject) => {
      waiting = { n, resolve, reject };
      pump();
    });
}

export async function startSocksProxy(options: { hosts?: Record<string, string>; credentials?: { user: string; password: string } } = {}): Promise<SocksProxy> {
  const requests: SocksRequest[] = [];
  let refusal: number | undefined;
  const sockets = new Set<net.Socket>();
  const reply = (code: number): Buffer => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);

  async function serve(client: net.Socket): Promise<void> {
    const read = reader(client);
    const [version, count] = await read(2);
    const methods = [...(await read(count!))];
    if (version !== 5) return void client.destroy();
    let user: string | undefined;
    if (options.credentials) {
      if (!methods.includes(2)) return void client.end(Buffer.from([5, 0xff]));
      client.write(Buffer.from([5, 2]));
      const [, userLength] = await read(2);
      user = (await read(userLength!)).toString();
      const password = (await read((await read(1))[0]!)).toString();
      const good = user === options.credentials.user && password === options.credentials.password;
      client.write(Buffer.from([1, good ? 0 : 1]));
      if (!good) return void client.end();
    } else {
      client.write(Buffer.from([5, 0]));
    }
    const [, command, , type] = await read(4);
    let host: string;
    if (type === 1) host = [...(await read(4))].join('.');
    else if (type === 4) host = (await read(16)).toString('hex').replace(/(.{4})(?!$)/g, '$1:');
    else host = (await read((await read(1))[0]!)).toString();
    const port = (await read(2)).readUInt16BE(0);
    requests.push({ target: `${type === 4 ? `[${host}]` : host}:${port}`, sentAs: type === 3 ? 'name' : 'address', ...(user ? { user } : {}) });
    if (command !== 1) return void client.end(reply(7));
    if (refusal !== undefined) return void client.end(reply(refusal));
    // a mapped "address:port" sends the connection to that port too (a name served at 443 on a loopback port)
    const mapped = options.hosts?.[host];
    const at = mapped === undefined ? undefined : /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(mapped);
    const upstream = net.connect(at ? Number(at[2]) : port, at ? at[1]!.replace(/^\[|\]$/g, '') : (mapped ?? host));
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      client.removeAllListeners('data');
      client.write(reply(0));
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end(reply(5)));
    client.on('error', () => upstream.destroy());
  }

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    serve(client).catch(() => client.destroy());
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    requests,
    refuse: (code) => {
      refusal = code;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
