import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { InstanceFacts } from '../../agent/src/facts/types.js';
import { closeServer } from './listen.js';

/**
 * A loopback stand-in for the EC2 instance metadata service (IMDSv2 only), for tests and
 * `npm start`. It answers what a node asks at boot: the token, user data, the meta-data
 * paths the agent reads, IAM role credentials (so the SDK's default chain works) and the
 * instance identity document. Switches reproduce early boot (not listening yet) and an IMDS
 * that accepts connections but never answers.
 */

/**
 * What the emulated instance is: the IMDS half of the agent's InstanceFacts (an InstanceFacts
 * object fits; the /proc, /sys and version fields are ignored), plus what only IMDS knows.
 * An absent ipv6 makes the ipv6s path 404.
 */
export interface ImdsInstance
  extends Pick<InstanceFacts, 'instanceId' | 'instanceType' | 'region' | 'availabilityZone' | 'mac' | 'privateIpv4' | 'ipv6' | 'privateDnsName'> {
  accountId?: string;
  imageId?: string;
  architecture?: string;
  /** IAM role name behind iam/security-credentials/; absent means no instance profile */
  roleName?: string;
}

export interface ImdsOptions {
  instance?: Partial<ImdsInstance>;
  /** user data bytes; undefined means /latest/user-data is 404, as on an instance launched without */
  userData?: string | Buffer;
  /** meta-data paths to add or (with null) remove, relative to /latest/meta-data/ */
  metaData?: Record<string, string | null>;
  port?: number;
  host?: string;
  /**
   * Not listening for this long after start (connections are refused), like IMDS before the
   * link-local route is up at early boot. The port is reserved at start so `url` is known.
   */
  startDelayMs?: number;
  /** Accept connections but never answer, like a blackholed link-local address. */
  down?: boolean;
  /** hold every answer this long (to see whether a client asks concurrently) */
  responseDelayMs?: number;
}

export interface ImdsRequest {
  method: string;
  /** path without the query string, e.g. /latest/meta-data/mac */
  path: string;
  status: number;
  /** the X-aws-ec2-metadata-token header sent, if any */
  token?: string;
}

export interface ImdsEmulator {
  url: string;
  port: number;
  /** every answered request, in order (not those held while `down`) */
  requests: ImdsRequest[];
  /** how many requests a path received (any method, any status) */
  count(path: string): number;
  setUserData(data: string | Buffer | undefined): void;
  setDown(down: boolean): void;
  setMetaData(path: string, value: string | null): void;
  /** invalidate every issued token, so the next GET with an old one gets 401 */
  revokeTokens(): void;
  /** resolves once the server accepts connections (after startDelayMs) */
  listening: Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_IMDS_INSTANCE: ImdsInstance = {
  instanceId: 'i-0123456789abcdef0',
  instanceType: 'm5.large',
  region: 'us-west-2',
  availabilityZone: 'us-west-2a',
  mac: '0e:12:34:56:78:9a',
  privateIpv4: '10.0.1.23',
  privateDnsName: 'ip-10-0-1-23.us-west-2.compute.internal',
  accountId: '111122223333',
  imageId: 'ami-0abcdef1234567890',
  architecture: 'x86_64',
  roleName: 'eks-node-role',
};

const MAX_TTL_SECONDS = 21_600;

/** The meta-data tree as flat leaf paths (relative to /latest/meta-data/) -> content. */
function metaDataLeaves(i: ImdsInstance, extra: Record<string, string | null>): Map<string, string> {
  const leaves = new Map<string, string>();
  leaves.set('ami-id', i.imageId ?? 'ami-0abcdef1234567890');
  leaves.set('instance-id', i.instanceId);
  leaves.set('instance-type', i.instanceType);
  if (i.privateIpv4) leaves.set('local-ipv4', i.privateIpv4);
  leaves.set('local-hostname', i.privateDnsName);
  leaves.set('hostname', i.privateDnsName);
  leaves.set('mac', i.mac);
  leaves.set('placement/availability-zone', i.availabilityZone);
  leaves.set('placement/region', i.region);
  const nic = `network/interfaces/macs/${i.mac}`;
  leaves.set(`${nic}/device-number`, '0');
  if (i.privateIpv4) leaves.set(`${nic}/local-ipv4s`, i.privateIpv4);
  leaves.set(`${nic}/local-hostname`, i.privateDnsName);
  leaves.set(`${nic}/mac`, i.mac);
  if (i.ipv6) leaves.set(`${nic}/ipv6s`, i.ipv6);
  if (i.roleName) {
    const now = new Date();
    const expires = new Date(now.getTime() + 6 * 3600_000);
    leaves.set(
      `iam/security-credentials/${i.roleName}`,
      JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: now.toISOString().replace(/\.\d+Z$/, 'Z'),
          Type: 'AWS-HMAC',
          AccessKeyId: 'ASIAEMULATEDIMDS0001',
          SecretAccessKey: 'emulated-imds-secret-access-key',
          Token: 'emulated-imds-session-token',
          Expiration: expires.toISOString().replace(/\.\d+Z$/, 'Z'),
        },
        null,
        2,
      ),
    );
    leaves.set(
      'iam/info',
      JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: now.toISOString().replace(/\.\d+Z$/, 'Z'),
          InstanceProfileArn: `arn:aws:iam::${i.accountId ?? '111122223333'}:instance-profile/${i.roleName}`,
          InstanceProfileId: 'AIPAEMULATEDPROFILE01',
        },
        null,
        2,
      ),
    );
  }
  for (const [path, value] of Object.entries(extra)) {
    const key = path.replace(/^\/+/, '');
    if (value === null) leaves.delete(key);
    else leaves.set(key, value);
  }
  return leaves;
}

function identityDocument(i: ImdsInstance): string {
  return JSON.stringify(
    {
      accountId: i.accountId ?? '111122223333',
      architecture: i.architecture ?? 'x86_64',
      availabilityZone: i.availabilityZone,
      billingProducts: null,
      devpayProductCodes: null,
      marketplaceProductCodes: null,
      imageId: i.imageId ?? 'ami-0abcdef1234567890',
      instanceId: i.instanceId,
      instanceType: i.instanceType,
      kernelId: null,
      pendingTime: '2025-01-01T00:00:00Z',
      privateIp: i.privateIpv4,
      ramdiskId: null,
      region: i.region,
      version: '2017-09-30',
    },
    null,
    2,
  );
}

/**
 * A directory listing as IMDS gives it: one child per line, sub-directories with a trailing
 * slash; undefined when `dir` is neither a leaf's parent nor an ancestor.
 */
function listing(leaves: Map<string, string>, dir: string): string | undefined {
  const prefix = dir === '' ? '' : `${dir}/`;
  const children = new Set<string>();
  for (const path of leaves.keys()) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : `${rest.slice(0, slash)}/`);
  }
  return children.size === 0 ? undefined : [...children].sort().join('\n');
}

/** Bind port 0 to learn a free port, then let it go so the delayed listen can take it. */
async function reservePort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startImds(options: ImdsOptions = {}): Promise<ImdsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const instance: ImdsInstance = { ...DEFAULT_IMDS_INSTANCE, ...options.instance };
  const extraMetaData: Record<string, string | null> = { ...options.metaData };
  let userData: Buffer | undefined = toBuffer(options.userData);
  let down = options.down ?? false;
  const responseDelayMs = options.responseDelayMs ?? 0;
  const timers = new Set<NodeJS.Timeout>();
  /** token -> expiry (ms since epoch) */
  const tokens = new Map<string, number>();
  const requests: ImdsRequest[] = [];
  const held = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    if (down) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // cloud-init's EC2 datasource asks dated API versions (2021-03-23/meta-data/...); they
    // serve the same tree as latest/.
    const route = path.replace(/^\/\d{4}-\d{2}-\d{2}\//, '/latest/');
    const tokenHeader = req.headers['x-aws-ec2-metadata-token'];
    const token = typeof tokenHeader === 'string' ? tokenHeader : undefined;
    const reply = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
      requests.push({ method: req.method ?? '', path, status, ...(token === undefined ? {} : { token }) });
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      const write = (): void => {
        res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': String(buf.length), ...headers });
        res.end(buf);
      };
      if (responseDelayMs <= 0) return write();
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) write();
      }, responseDelayMs);
      timers.add(t);
    };
    // Drain the body so keep-alive connections stay usable.
    req.resume();
    req.on('end', () => {
      if (path === '/latest/api/token') {
        if (req.method !== 'PUT') return reply(405, 'Method Not Allowed');
        if (req.headers['x-forwarded-for'] !== undefined) return reply(403, 'Forbidden');
        const ttlHeader = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
        const ttl = typeof ttlHeader === 'string' && /^\d+$/.test(ttlHeader) ? Number(ttlHeader) : NaN;
        if (!(ttl >= 1 && ttl <= MAX_TTL_SECONDS)) return reply(400, 'Bad Request');
        const issued = `AQAEA${randomBytes(24).toString('base64url')}==`;
        tokens.set(issued, Date.now() + ttl * 1000);
        return reply(200, issued, { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'Method Not Allowed');
      const expiry = token === undefined ? undefined : tokens.get(token);
      if (expiry === undefined || expiry < Date.now()) return reply(401, 'Unauthorized');

      if (route === '/latest/user-data') {
        return userData === undefined ? reply(404, 'Not Found') : reply(200, userData, { 'Content-Type': 'application/octet-stream' });
      }
      if (route === '/latest/dynamic/instance-identity/document') {
        return reply(200, identityDocument(instance), { 'Content-Type': 'application/json' });
      }
      if (/^\/latest\/dynamic\/instance-identity\/?$/.test(route)) return reply(200, 'document');
      const meta = /^\/latest\/meta-data(?:\/(.*))?$/.exec(route);
      if (meta) {
        const key = (meta[1] ?? '').replace(/\/+$/, '');
        const leaves = metaDataLeaves(instance, extraMetaData);
        const leaf = leaves.get(key);
        if (leaf !== undefined) return reply(200, leaf);
        const dir = listing(leaves, key);
        if (dir !== undefined) return reply(200, dir);
      }
      return reply(404, 'Not Found');
    });
  });
  server.keepAliveTimeout = 5_000;

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });

  let port: number;
  let listening: Promise<void>;
  let delayTimer: NodeJS.Timeout | undefined;
  const delay = options.startDelayMs ?? 0;
  if (delay > 0) {
    port = options.port ?? (await reservePort(host));
    const fixedPort = port;
    listening = new Promise((resolve, reject) => {
      delayTimer = setTimeout(() => listen(fixedPort).then(resolve, reject), delay);
    });
    listening.catch(() => undefined); // surfaced to whoever awaits it
  } else {
    await listen(options.port ?? 0);
    port = (server.address() as net.AddressInfo).port;
    listening = Promise.resolve();
  }

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    listening,
    count: (path) => requests.filter((r) => r.path === path).length,
    setUserData(data) {
      userData = toBuffer(data);
    },
    setDown(value) {
      down = value;
    },
    setMetaData(path, value) {
      extraMetaData[path.replace(/^\/+/, '')] = value;
    },
    revokeTokens() {
      tokens.clear();
    },
    async close() {
      if (delayTimer) clearTimeout(delayTimer);
      for (const t of timers) clearTimeout(t);
      for (const res of held) res.destroy();
      await closeServer(server);
    },
  };
}

function toBuffer(data: string | Buffer | undefined): Buffer | undefined {
  return data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data) : data;
}
