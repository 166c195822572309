import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { describeCause } from '../errors.js';
import { writeFiles } from './write-files.js';

/**
 * A local cluster's API server addresses pinned in /etc/hosts. The control plane of a local
 * cluster runs on the Outpost with fixed addresses, but its name is answered by Route 53, in the
 * Region: while the Outpost is cut off from its Region the name does not resolve, and a kubelet
 * (or a node rebooting) would lose a control plane that is still there. So the config phase asks
 * DNS for the addresses and writes them, in a block of its own, into /etc/hosts, which the
 * kubelet and aws-iam-authenticator read before DNS. Each run replaces the block (no lines pile
 * up across reboots); when DNS does not answer, the block of an earlier boot is kept; when the
 * node no longer joins a local cluster, the block is taken out.
 */

export const HOSTS_PATH = '/etc/hosts';
const BEGIN = '# BEGIN eks-node-agent: API server addresses of the local cluster, kept for when its Outpost is cut off from the Region';
const END = '# END eks-node-agent';

/**
 * Where the addresses are asked: systemd-resolved's upstream servers when it runs (its stub at
 * 127.0.0.53 would answer from /etc/hosts, so from the block an earlier boot wrote), else the
 * servers of /etc/resolv.conf. A port after the address (`127.0.0.1:5353`, `[::1]:5353`) is taken
 * as the resolver library takes it; a real file never has one, the tests' DNS double needs one.
 */
const RESOLV_CONFS = ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf'];

/** How long one query waits, and how often it is sent, before the lookup gives up. */
const QUERY_TIMEOUT_MS = 1_000;
const QUERY_TRIES = 2;

/**
 * Answers that say the resolver is not ready rather than that the name has no address: early in
 * a boot the VPC resolver's path, or a local resolver, may not be up yet. The lookup is asked
 * again for these, a few times in about a second (a timeout, already sent QUERY_TRIES times, and
 * a name that does not exist are not).
 */
const TRANSIENT = new Set(['ESERVFAIL', 'ECONNREFUSED', 'EREFUSED']);
export const LOOKUP_RETRIES = { retries: 5, delayMs: 200 };

export type HostsPinResult =
  | { kind: 'none' }
  | { kind: 'address'; host: string }
  | { kind: 'pinned'; host: string; addresses: string[]; changed: boolean; servers: string[] }
  | { kind: 'kept'; host: string; addresses: string[]; cause: string }
  | { kind: 'unpinned'; host: string; cause: string }
  | { kind: 'removed' };

/** The endpoint's host name, or undefined when the endpoint names an address (nothing to pin). */
export function endpointHostName(endpoint: string): string | undefined {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return undefined;
  }
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '' || isIP(bare) !== 0 ? undefined : host.toLowerCase();
}

/** The host a node pins: a local cluster's endpoint, when it names a host rather than an address. */
export function pinnedHost(cluster: { apiServerEndpoint?: string; enableOutpost?: boolean } | undefined): string | undefined {
  return cluster?.enableOutpost === true && cluster.apiServerEndpoint ? endpointHostName(cluster.apiServerEndpoint) : undefined;
}

/** The nameservers of the first resolv.conf under `root` that names any. */
export function nameserversOf(root: string): string[] {
  for (const file of RESOLV_CONFS) {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      continue;
    }
    const servers = text
      .split('\n')
      .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
      .filter((s): s is string => s !== undefined && isServer(s));
    if (servers.length > 0) return servers;
  }
  return [];
}

function isServer(text: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6;
  if (isIP(text) !== 0) return true;
  const withPort = /^([\d.]+):(\d{1,5})$/.exec(text);
  return withPort !== null && isIP(withPort[1]!) === 4;
}

/**
 * The host's IPv4 and IPv6 addresses from DNS, sorted. A family with no records is no failure;
 * no address at all is (the error names what each family's query met).
 */
export async function lookUp(host: string, servers: readonly string[], retry = LOOKUP_RETRIES): Promise<string[]> {
  // loaded here: a regional boot never needs it (and an import() would warn in the executable)
  const { Resolver } = process.getBuiltinModule('node:dns/promises');
  const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
  if (servers.length > 0) resolver.setServers([...servers]);
  const once = async (): Promise<string[]> => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length > 0) return [...new Set(addresses)].sort();
    const codes = [v4, v6].map((r) => (r.status === 'rejected' ? ((r.reason as { code?: string }).code ?? describeCause(r.reason)) : 'no records'));
    const failure = new Error(`DNS gave no address for ${host} (A: ${codes[0]}, AAAA: ${codes[1]})`);
    throw codes.some((code) => TRANSIENT.has(code)) ? failure : new AbortError(failure);
  };
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts++;
        return once();
      },
      { retries: retry.retries, minTimeout: retry.delayMs, factor: 1, randomize: false },
    );
  } catch (err) {
    if (attempts > 1 && err instanceof Error) err.message += `, asked ${attempts} times`;
    throw err;
  }
}

/** The host and addresses of the agent's block, if the file has one (`entries` in the file's order). */
export function pinnedIn(hosts: string): { host: string; addresses: string[]; entries: string[] } | undefined {
  const entries = splitHosts(hosts).block.map((l) => l.split('\t'));
  if (entries.length === 0) return undefined;
  const ordered = entries.map((w) => w[0]!);
  return { host: entries[0]![1]!, addresses: [...ordered].sort(), entries: ordered };
}

/** One line of the agent's block, as withPin writes it. */
const ENTRY = /^[0-9A-Fa-f.:]+\t\S+$/;

/**
 * The file's lines apart from the agent's block, and the block's entries (of the first whole
 * block). A block is BEGIN, entries only, END; a marker outside such a block (an END deleted by
 * hand) is dropped alone, so no line of anyone else's is ever taken for part of the block.
 */
function splitHosts(hosts: string): { others: string[]; block: string[] } {
  const lines = hosts.split('\n');
  const others: string[] = [];
  let block: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === END) continue;
    if (line !== BEGIN) {
      others.push(line);
      continue;
    }
    let j = i + 1;
    while (j < lines.length && ENTRY.test(lines[j]!)) j++;
    if (lines[j] !== END) continue;
    block ??= lines.slice(i + 1, j);
    i = j;
  }
  return { others, block: block ?? [] };
}

/** The pin as written: the host and its addresses in the order of the block. */
export interface Pin {
  host: string;
  entries: string[];
}

/** The file without the agent's block, and with it when `pin` is given (at the end). */
export function withPin(hosts: string, pin?: Pin): string {
  let text = splitHosts(hosts).others.join('\n');
  if (!pin) return text;
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  return `${text}${[BEGIN, ...pin.entries.map((a) => `${a}\t${pin.host}`), END].join('\n')}\n`;
}

/**
 * The addresses in an order of this node's own, the same on every run: a client takes the first
 * address, and the nodes of a cluster should not all go to one control-plane instance.
 */
export function spread(addresses: readonly string[], seed: string): string[] {
  const rank = (a: string) => fnv1a(`${seed} ${a}`);
  return [...addresses].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface HostsPinOptions {
  root: string;
  /** the resolved cluster; undefined endpoint host or a regional cluster means no pin */
  cluster: { apiServerEndpoint: string; enableOutpost?: boolean };
  /** orders the addresses (the instance id) */
  seed: string;
  /** look up and say what would change, write nothing */
  dryRun?: boolean;
}

/** /etc/hosts as text; empty when there is none (it is then written new if there is a pin). */
function readHosts(root: string): string {
  try {
    return readFileSync(join(root, HOSTS_PATH), 'utf8');
  } catch {
    return '';
  }
}

/** Writes /etc/hosts atomically, keeping its mode (0644 for a new file); whether it changed. */
async function writeHosts(root: string, content: string): Promise<boolean> {
  const mode = lstatSync(join(root, HOSTS_PATH), { throwIfNoEntry: false })?.mode;
  const written = await writeFiles([{ path: HOSTS_PATH, mode: mode === undefined ? 0o644 : mode & 0o7777, content }], { root });
  return written.changed.length > 0;
}

/**
 * Brings the agent's block in /etc/hosts in line with the cluster. Never fails the boot: DNS that
 * does not answer keeps an earlier pin (or leaves none), and the result says so for the log.
 * Writing the file (atomically, its mode kept) is the one step that may throw.
 */
export async function pinApiServer(options: HostsPinOptions): Promise<HostsPinResult> {
  const { root, cluster } = options;
  const hosts = readHosts(root);
  const host = pinnedHost(cluster);
  const write = async (content: string): Promise<boolean> => (options.dryRun ? content !== hosts : writeHosts(root, content));
  if (!host) {
    if (!options.dryRun) await record(root, undefined);
    if (!pinnedIn(hosts)) return cluster.enableOutpost === true ? { kind: 'address', host: cluster.apiServerEndpoint } : { kind: 'none' };
    await write(withPin(hosts));
    return cluster.enableOutpost === true ? { kind: 'address', host: cluster.apiServerEndpoint } : { kind: 'removed' };
  }
  const servers = nameserversOf(root);
  let addresses: string[];
  try {
    addresses = await lookUp(host, servers);
  } catch (err) {
    const earlier = pinnedIn(hosts);
    const cause = describeCause(err);
    if (earlier && earlier.host === host) {
      if (!options.dryRun) await record(root, { host, entries: earlier.entries });
      return { kind: 'kept', host, addresses: earlier.addresses, cause };
    }
    if (!options.dryRun) await record(root, undefined);
    return { kind: 'unpinned', host, cause };
  }
  const pin = { host, entries: spread(addresses, options.seed) };
  const changed = await write(withPin(hosts, pin));
  if (!options.dryRun) await record(root, pin);
  return { kind: 'pinned', host, addresses, changed, servers };
}

/**
 * What the config phase pinned (or kept), for the run phase: between the two, cloud-init (its
 * `manage_etc_hosts`) or a user-data script may write /etc/hosts anew. Under /run: this boot's.
 */
export const PIN_RECORD_PATH = '/run/eks-node-agent/hosts-pin.json';

async function record(root: string, pin: Pin | undefined): Promise<void> {
  if (!pin) {
    rmSync(join(root, PIN_RECORD_PATH), { force: true });
    return;
  }
  await writeFiles([{ path: PIN_RECORD_PATH, mode: 0o644, content: `${JSON.stringify(pin)}\n` }], { root });
}

function readRecord(root: string): Pin | undefined {
  try {
    const pin = JSON.parse(readFileSync(join(root, PIN_RECORD_PATH), 'utf8')) as Partial<Pin>;
    const ok =
      typeof pin.host === 'string' && Array.isArray(pin.entries) && pin.entries.length > 0 && pin.entries.every((e) => typeof e === 'string' && isIP(e) !== 0);
    return ok ? (pin as Pin) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The run phase's check, before it starts containerd and the kubelet: the pin the config phase
 * wrote is still in /etc/hosts, or is written again as it was (no DNS asked). Undefined when the
 * config phase pinned nothing this boot.
 */
export async function restorePin(root: string): Promise<{ restored: boolean; pin: Pin } | undefined> {
  const pin = readRecord(root);
  if (!pin) return undefined;
  const hosts = readHosts(root);
  const now = pinnedIn(hosts);
  if (now && now.host === pin.host && now.entries.join(' ') === pin.entries.join(' ')) return { restored: false, pin };
  await writeHosts(root, withPin(hosts, pin));
  return { restored: true, pin };
}

/** One log line for a result; `warning` when the node is left without a current pin. */
export function describePin(result: HostsPinResult): { line: string; warning: boolean } {
  switch (result.kind) {
    case 'none':
      return { line: 'not a local cluster: nothing to pin', warning: false };
    case 'address':
      return { line: `the endpoint ${result.host} is an address: nothing to pin`, warning: false };
    case 'removed':
      return { line: `not a local cluster: took the earlier pin out of ${HOSTS_PATH}`, warning: false };
    case 'pinned':
      return {
        line: `${result.host} pinned in ${HOSTS_PATH} to ${result.addresses.join(', ')}${result.changed ? '' : ' (unchanged)'}${result.servers.length > 0 ? ` (asked ${result.servers.join(', ')})` : ''}`,
        warning: false,
      };
    case 'kept':
      return {
        line: `${result.cause}; kept the earlier pin of ${result.host} in ${HOSTS_PATH} (${result.addresses.join(', ')})`,
        warning: true,
      };
    case 'unpinned':
      return {
        line: `${result.cause}; ${result.host} is not pinned in ${HOSTS_PATH}, so the node loses the API server whenever the Outpost is cut off from its Region`,
        warning: true,
      };
  }
}
