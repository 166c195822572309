import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer } from 'dns-packet';

/**
 * A loopback stand-in for the VPC's DNS resolver (Route 53 Resolver at the VPC base +2), since
 * AWS cannot run here: plain UDP, A and AAAA from a fixed table, so the agent's real lookups
 * (node:dns pointed at `server`) can be made to succeed, find nothing, fail or time out.
 */

export interface DnsOptions {
  /** addresses (IPv4 and IPv6 mixed) by host name; names are case-insensitive, a trailing dot optional */
  records?: Record<string, string[]>;
  host?: string;
  port?: number;
  /** answer from `records` (default), SERVFAIL to everything, or never answer (clients time out) */
  mode?: 'answer' | 'servfail' | 'drop';
  /** SERVFAIL to the first N queries before `mode` applies (a resolver whose upstream is not up yet) */
  servfailFirst?: number;
}

export interface DnsRequest {
  /** the name as asked */
  name: string;
  /** the record type asked for: A, AAAA, ... */
  type: string;
  /** the response code sent (NOERROR, NXDOMAIN, SERVFAIL), or DROPPED when none was */
  rcode: string;
  answers: number;
}

export interface DnsEmulator {
  host: string;
  port: number;
  /** "127.0.0.1:PORT", as node:dns setServers and the agent's resolv.conf reader take it */
  server: string;
  requests: DnsRequest[];
  /** change switches at runtime; `records` replaces the whole table */
  set(switches: Pick<DnsOptions, 'records' | 'mode'>): void;
  close(): Promise<void>;
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;
const TTL = 60;

/** Lower case without the trailing dot, so `Example.com.` and `example.com` are one name. */
const canonical = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function table(records: Record<string, string[]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, addresses] of Object.entries(records)) {
    const bad = addresses.find((a) => net.isIP(a) === 0);
    if (bad !== undefined) throw new Error(`dns emulator: ${name}: not an IP address: ${bad}`);
    map.set(canonical(name), addresses);
  }
  return map;
}

export async function startDns(options: DnsOptions = {}): Promise<DnsEmulator> {
  const host = options.host ?? '127.0.0.1';
  let records = table(options.records ?? {});
  let mode = options.mode ?? 'answer';
  const requests: DnsRequest[] = [];
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');

  socket.on('message', (msg, from) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // malformed: ignored, as a resolver drops what it cannot parse
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || question === undefined) return;
    const { name, type } = question;

    if (mode === 'drop') {
      requests.push({ name, type, rcode: 'DROPPED', answers: 0 });
      return;
    }
    const addresses = records.get(canonical(name));
    const family = type === 'A' ? 4 : type === 'AAAA' ? 6 : 0;
    const answers: Answer[] =
      mode === 'answer' && family !== 0
        ? (addresses ?? []).filter((a) => net.isIP(a) === family).map((data) => ({ name, type, class: 'IN', ttl: TTL, data }) as Answer)
        : [];
    const failing = mode === 'servfail' || requests.length < (options.servfailFirst ?? 0);
    if (failing) answers.length = 0;
    const rcode = failing ? 'SERVFAIL' : addresses === undefined ? 'NXDOMAIN' : 'NOERROR';
    requests.push({ name, type, rcode, answers: answers.length });

    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode],
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, from.port, from.address);
  });
  socket.on('error', () => {}); // a send to a vanished client must not crash the test run

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;

  return {
    host,
    port,
    server: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    requests,
    set(switches) {
      if (switches.records !== undefined) records = table(switches.records);
      if (switches.mode !== undefined) mode = switches.mode;
    },
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
