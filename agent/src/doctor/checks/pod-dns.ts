import ipaddr from 'ipaddr.js';
import { lastFlag } from '../../api/kubelet-flags.js';
import type { NodeConfig } from '../../api/schema.js';
import { RESOLVED_UPSTREAM } from '../../facts/resolv-conf.js';
import { PATHS } from '../../render/paths.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';

/**
 * The nameservers the kubelet hands pods: its resolvConf (default /etc/resolv.conf) is what a pod
 * with dnsPolicy Default gets, CoreDNS among them, which forwards every name outside the cluster
 * there. A loopback nameserver (systemd-resolved's stub 127.0.0.53, a local dnsmasq) answers on
 * the node but not in a pod's own network namespace: such pods resolve nothing, and CoreDNS
 * forwards to itself ("Loop ... detected") or to nothing. The kubelet also keeps only the first
 * three nameservers and 32 search domains in 2048 characters (its own three cluster domains among
 * them, first), and says so in an event on every pod it starts.
 */

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';
/** the kubelet's limits (Kubernetes 1.28 and later: ExpandedDNSConfig) */
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
/** the kubelet's limit on a pod's search line, in characters, spaces included */
export const MAX_SEARCH_LIST_CHARS = 2048;
/** the search domains the kubelet puts before the host's for a ClusterFirst pod: <ns>.svc.<domain>, svc.<domain>, <domain> */
const CLUSTER_SEARCH_PATHS = 3;
/** what they take of the line for a pod in `default` with the default cluster domain, the space after them included */
const CLUSTER_SEARCH_CHARS = 'default.svc.cluster.local svc.cluster.local cluster.local '.length;

/** The kubelet's resolvConf as read, for the support bundle. */
export interface PodDnsValue {
  path: string;
  text: string;
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
}

/** resolv.conf as the kubelet reads it: `nameserver` lines accumulate, the last `search` line wins, `#` lines are comments. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const [keyword, ...fields] = line.split(/\s+/);
    if (keyword === 'nameserver' && fields[0]) nameservers.push(fields[0]);
    else if (keyword === 'search') search = fields.map((f) => f.replace(/\.$/, '')).filter((f) => f !== '');
  }
  return { nameservers, search };
}

/** A nameserver a pod cannot reach from its own network namespace (127.0.0.0/8, ::1; a zone index is ignored). */
export function isLoopback(address: string): boolean {
  const plain = address.replace(/%.*$/, '');
  return ipaddr.isValid(plain) && ipaddr.parse(plain).range() === 'loopback';
}

/**
 * The file the kubelet takes its resolvConf from: --resolv-conf wins over the user's config,
 * which wins over the agent's choice (`agent`, as config.json holds it: systemd-resolved's real
 * servers when /etc/resolv.conf is its stub), else the kubelet's default.
 */
export function kubeletResolvConf(spec: NodeConfig['spec'], agent?: string): string {
  const flag = lastFlag(spec?.kubelet?.flags, '--resolv-conf');
  if (flag) return flag.value;
  const fromConfig = spec?.kubelet?.config?.resolvConf;
  if (typeof fromConfig === 'string') return fromConfig;
  return agent ?? DEFAULT_RESOLV_CONF;
}

/** The resolvConf of the agent's config.json as the kubelet reads it, when it sets one. */
async function agentResolvConf(deps: DoctorDeps): Promise<string | undefined> {
  const file = await deps.readFile(PATHS.kubeletConfig).catch(() => undefined);
  if (!file) return undefined;
  try {
    const value = (JSON.parse(file.content.toString('utf8')) as { resolvConf?: unknown }).resolvConf;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // the files line judges the file itself
  }
}

export function podDnsCheck(deps: DoctorDeps): Check {
  return {
    name: 'pod-dns',
    needs: [],
    timeoutMs: 2_000,
    async run(ctx) {
      const path = kubeletResolvConf((await ctx.optional<ConfigValue>('config'))?.source.spec, await agentResolvConf(deps));
      if (path === '') return { status: 'ok', detail: 'resolvConf is empty: the kubelet gives pods no nameserver of the node (dnsPolicy Default gets none)' };
      let file;
      try {
        file = await deps.readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
        return { status: 'warn', detail: `cannot read ${path} (permission denied)`, hint: 'run doctor as root (`sudo eks-node-agent doctor`)' };
      }
      if (!file) {
        return {
          status: 'fail',
          detail: `${path}, the kubelet's resolvConf, does not exist`,
          hint: `the kubelet fails every pod's sandbox ("Could not open resolv conf file", "Failed to generate sandbox config for pod"): restore ${path} (the network service writes it) or point spec.kubelet.config.resolvConf at the file that lists the nameservers`,
        };
      }
      const text = file.content.toString('utf8');
      const conf = parseResolvConf(text);
      // the bundle keeps the file the line judged
      const value: PodDnsValue = { path, text };
      if (conf.nameservers.length === 0) {
        return {
          value,
          status: 'warn',
          detail: `${path} lists no nameserver: pods with dnsPolicy Default (CoreDNS among them) resolve nothing outside the cluster`,
          hint: 'the VPC resolver (169.254.169.253, or the VPC CIDR base +2) comes from DHCP: see the DHCP options set and the network service that writes the file',
        };
      }
      const loopback = conf.nameservers.filter(isLoopback);
      if (loopback.length > 0) {
        const upstream = path === RESOLVED_UPSTREAM ? undefined : await deps.readFile(RESOLVED_UPSTREAM).catch(() => undefined);
        const real = upstream ? parseResolvConf(upstream.content.toString('utf8')).nameservers.filter((n) => !isLoopback(n)) : [];
        return {
          value,
          status: 'warn',
          detail: `${path}, the kubelet's resolvConf, lists ${loopback.join(', ')}, which a pod cannot reach from its own network namespace: pods with dnsPolicy Default, CoreDNS among them, ${
            loopback.length === conf.nameservers.length
              ? 'resolve nothing outside the cluster'
              : 'wait for it to time out before they ask the next server on many lookups'
          }`,
          hint:
            real.length > 0
              ? `${RESOLVED_UPSTREAM} lists the real servers (${real.join(', ')}): set spec.kubelet.config.resolvConf: ${RESOLVED_UPSTREAM}`
              : 'give the kubelet a resolv.conf that lists the VPC resolver (spec.kubelet.config.resolvConf); a loopback resolver on the node (systemd-resolved stub, dnsmasq) serves only the node',
        };
      }
      const found: string[] = [];
      if (conf.nameservers.length > MAX_NAMESERVERS) {
        found.push(
          `${conf.nameservers.length} nameservers, and the kubelet gives pods the first ${MAX_NAMESERVERS} (${conf.nameservers.slice(0, MAX_NAMESERVERS).join(', ')})`,
        );
      }
      const searchChars = conf.search.join(' ').length;
      if (conf.search.length + CLUSTER_SEARCH_PATHS > MAX_SEARCH_PATHS) {
        found.push(
          `${conf.search.length} search domains, and the kubelet keeps ${MAX_SEARCH_PATHS} with its own ${CLUSTER_SEARCH_PATHS} cluster domains first`,
        );
      } else if (CLUSTER_SEARCH_CHARS + searchChars > MAX_SEARCH_LIST_CHARS) {
        found.push(
          `a search line of ${searchChars} characters, and the kubelet keeps ${MAX_SEARCH_LIST_CHARS} with its own cluster domains first (${CLUSTER_SEARCH_CHARS} for a pod in default)`,
        );
      }
      if (found.length > 0) {
        return {
          value,
          status: 'warn',
          detail: `${path} lists ${found.join('; ')}`,
          hint: 'the rest are left out, and the kubelet records a DNSConfigForming event ("limits were exceeded") on every pod it starts: shorten the DHCP options set or give the kubelet a shorter file (spec.kubelet.config.resolvConf)',
        };
      }
      return { status: 'ok', detail: `pods with dnsPolicy Default get ${conf.nameservers.join(', ')} (${path})`, value };
    },
  };
}
